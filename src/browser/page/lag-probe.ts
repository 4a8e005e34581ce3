/**
 * Main-thread lag probe: a timer that measures how late it fires. Everything a page stamps (a decoded frame
 * read, a frame drawn) runs on its main thread, so the time a timer waits beyond its due time is time added to
 * those stamps: the page's counterpart of Node's event-loop delay. One short timer every PROBE_INTERVAL_MS
 * (cheap: ~100 empty callbacks a second), summarised as p99 and max once a second.
 */
import { nowMs } from './clock.js';
import type { PageLagSample } from './types.js';

/**
 * how often the probe's timer is due, ms: Node's monitorEventLoopDelay resolution, so a page's p99 and a
 * runner's are read alike (about 100 samples a second: p99 is the second-worst, one stall alone is not it)
 */
const PROBE_INTERVAL_MS = 10;
const SUMMARY_MS = 1000;

export class LagProbe {
  private timer: number | undefined;
  private dueMs = 0;
  private secondStartMs = 0;
  private lateMs: number[] = [];

  constructor(private readonly out: PageLagSample[]) {}

  start(): this {
    this.secondStartMs = nowMs();
    this.schedule(this.secondStartMs);
    return this;
  }

  private schedule(fromMs: number): void {
    this.dueMs = fromMs + PROBE_INTERVAL_MS;
    this.timer = window.setTimeout(() => this.tick(), PROBE_INTERVAL_MS);
  }

  private tick(): void {
    const now = nowMs();
    this.lateMs.push(Math.max(0, now - this.dueMs));
    if (now - this.secondStartMs >= SUMMARY_MS) {
      const sorted = this.lateMs.sort((a, b) => a - b);
      // nearest rank, as the summary's percentiles
      const p99 = sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
      this.out.push({ ms: now, p99Ms: p99, maxMs: sorted.at(-1) ?? 0 });
      // a page nobody polls any more keeps a bounded backlog
      if (this.out.length > 120) this.out.splice(0, this.out.length - 120);
      this.lateMs = [];
      this.secondStartMs = now;
    }
    this.schedule(now);
  }

  stop(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
