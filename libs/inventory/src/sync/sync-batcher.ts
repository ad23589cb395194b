/**
 * Collects calls that arrive within `windowMs` of the first one (or until `max` are waiting) and
 * hands them to `run` as one batch; each caller gets its own item's answer. Several batches may be
 * in flight at once: the caller (one BullMQ job per SKU, deduplicated) guarantees a SKU is never
 * in two of them.
 */
export class Batcher<I, R> {
  private pending: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: (items: I[]) => Promise<R[]>,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  push(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.max) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.windowMs);
    });
  }

  /** Items waiting for the window to close. */
  get waiting(): number {
    return this.pending.length;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    let answers: Promise<R[]>;
    try {
      answers = this.run(batch.map((b) => b.item));
    } catch (err) {
      answers = Promise.reject(err);
    }
    answers.then(
      (results) => batch.forEach((b, i) => (i < results.length ? b.resolve(results[i]) : b.reject(new Error('batch answered fewer items than it was given')))),
      (err) => batch.forEach((b) => b.reject(err)),
    );
  }
}
