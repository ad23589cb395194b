import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultStore } from './fault-store';

describe('FaultStore hold signal', () => {
  it('lets any number of held requests wait on it without a MaxListenersExceeded warning, and releases them all on clear', async () => {
    const faults = new FaultStore();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const signal = faults.holdSignal('nykaa');
      let released = 0;
      for (let i = 0; i < 50; i++) signal.addEventListener('abort', () => released++, { once: true });
      // Node emits the warning on a later tick.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.map((w) => w.name), []);
      faults.clear('nykaa');
      assert.equal(released, 50);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
