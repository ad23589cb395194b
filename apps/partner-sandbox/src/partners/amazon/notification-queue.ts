import { randomUUID } from 'node:crypto';

interface QueuedMessage {
  id: string;
  body: string;
  receiptHandle?: string;
  visibleAt: number;
  receiveCount: number;
}

/**
 * A stand-in for the Amazon SQS queue that SP-API notifications are delivered to: messages are
 * received (then invisible for `visibilityMs`) and deleted by receipt handle, so an unacknowledged
 * message comes back, as with SQS.
 */
export class NotificationQueue {
  private messages: QueuedMessage[] = [];

  constructor(
    private readonly visibilityMs = 30_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  send(body: unknown): string {
    const id = randomUUID();
    this.messages.push({ id, body: JSON.stringify(body), visibleAt: 0, receiveCount: 0 });
    return id;
  }

  receive(max: number): { MessageId: string; ReceiptHandle: string; Body: string }[] {
    const t = this.now();
    const out: { MessageId: string; ReceiptHandle: string; Body: string }[] = [];
    for (const m of this.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > t) continue;
      // Each receive gets a fresh handle; only the latest one deletes, as in SQS.
      m.receiptHandle = randomUUID();
      m.visibleAt = t + this.visibilityMs;
      m.receiveCount += 1;
      out.push({ MessageId: m.id, ReceiptHandle: m.receiptHandle, Body: m.body });
    }
    return out;
  }

  delete(receiptHandle: string): boolean {
    const before = this.messages.length;
    this.messages = this.messages.filter((m) => m.receiptHandle !== receiptHandle);
    return this.messages.length < before;
  }

  size(): { total: number; inFlight: number } {
    const t = this.now();
    return { total: this.messages.length, inFlight: this.messages.filter((m) => m.visibleAt > t).length };
  }

  clear(): void {
    this.messages = [];
  }
}
