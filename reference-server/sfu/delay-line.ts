/**
 * Holds work for a fixed delay (the `addDelayMs` calibration knob). Every item has the same delay, so the
 * queue is FIFO and one timer serves it, instead of a timer per packet. Node timers fire a little late
 * (about 1 ms), so the timer is set TOLERANCE_MS early and releases everything due within TOLERANCE_MS of
 * its firing: items leave between ~1 ms early and a fraction of a ms late. (Polling the last stretch with
 * setImmediate was more exact, but its CPU competed with the browsers on small machines and showed up as
 * extra encode and render time in the very calibration it served.)
 */
import { nowMs } from '../../src/metrics/clock.js';

/** how early the timer is set before an item is due, and how early an item may leave */
const TOLERANCE_MS = 1;

export class DelayLine {
  private readonly queue: { dueMs: number; run: () => void }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

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
    this.timer = setTimeout(() => this.drain(), Math.max(0, next.dueMs - nowMs() - TOLERANCE_MS));
  }

  private drain(): void {
    const now = nowMs();
    while (this.head < this.queue.length && (this.queue[this.head] as { dueMs: number }).dueMs <= now + TOLERANCE_MS) {
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }
}
