import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MissingPartnerCredentialError } from '@hub/core';
import type { ChannelRegistry } from '@hub/channels';
import type { DataSource } from 'typeorm';
import { ReviewPuller } from './review-pull.service';

describe('ReviewPuller.pullAll', () => {
  it('a channel with no credential yet is skipped at info level; any other failure is a warning; both go on to the next channel', async () => {
    const adapters = [
      { channel: 'nykaa', fetchReviews: async () => { throw new MissingPartnerCredentialError('nykaa', ['a current version in the vault']); } },
      { channel: 'storefront', fetchReviews: async () => { throw new Error('HTTP 502'); } },
    ];
    const puller = new ReviewPuller({ query: async () => [] } as unknown as DataSource, { all: () => adapters } as unknown as ChannelRegistry);
    const lines: [string, string][] = [];
    (puller as unknown as { logger: unknown }).logger = { log: (_o: unknown, m: string) => lines.push(['log', m]), warn: (_o: unknown, m: string) => lines.push(['warn', m]) };
    const out = await puller.pullAll();
    assert.deepEqual(lines, [['log', 'review pull skipped: no credential'], ['warn', 'review pull failed']]);
    assert.match(String(out.nykaa), /^error: No nykaa credential/);
    assert.equal(out.storefront, 'error: HTTP 502');
  });
});
