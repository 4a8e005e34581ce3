/**
 * Holds work for a fixed delay (the `addDelayMs` calibration knob). Every item has the same delay, so the
 * queue is FIFO and one timer serves it, instead of a timer per packet. Node timers fire up to a few ms
 * late, and that lateness varies: it would add jitter, which receivers answer with a deeper jitter buffer,
 * so a 50 ms hold would cost more than 50 ms. The timer is therefore set 2 ms early and the last stretch is
 * polled with setImmediate (which still lets I/O run), releasing each item within a fraction of a ms.
 */
import { nowMs } from '../../src/metrics/clock.js';

/** how early the timer is set before an item is due; the rest is polled */
const EARLY_MS = 2;

export class DelayLine {
  private readonly queue: { dueMs: number; run: () => void }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  constructor(private readonly delayMs: number) {}

  push(run: () => void): void {
    if (this.delayMs <= 0) {
      run();
      return;
    }
    this.queue.push({ dueMs: nowMs() + this.delayMs, run });
    if (!this.timer) this.schedule();
  }

  private schedule(): void {
    const next = this.queue[this.head];
    if (!next) {
      this.queue.length = 0;
      this.head = 0;
      this.timer = undefined;
      return;
    }
    const waitMs = next.dueMs - nowMs();
    this.timer = waitMs > EARLY_MS ? setTimeout(() => this.drain(), waitMs - EARLY_MS) : setImmediate(() => this.drain());
  }

  private drain(): void {
    const now = nowMs();
    while (this.head < this.queue.length && (this.queue[this.head] as { dueMs: number }).dueMs <= now) {
      const item = this.queue[this.head] as { run: () => void };
      this.head += 1;
      item.run();
    }
    if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  }

  clear(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }
}
