/**
 * Exact frame accounting (docs/metrics.md): every frame sent inside the measurement window is, at every
 * receiver subscribed for its whole life, exactly one of received (within the loss window), late (after it; counted
 * once, with its latency) or lost (never). A frame is judged some seconds after it was first seen; a receiver with
 * no receipt then is only provisionally lost, because the receipt may still be on its way through a busy harness.
 * It becomes lost once the late horizon has passed (or the run ends); a receipt that comes before that turns it
 * into received or late, decided by the receipt's own latency, never by when the harness heard of it.
 */
import type { FrameAccounting } from '../report/summary.js';
import type { MetricSeries } from './series.js';
import type { Tags } from './types.js';

/** A frame not received within this long after capture is lost; received after it, late (docs/metrics.md). */
export const LOSS_WINDOW_MS = 2000;
/**
 * How long after a frame was judged a receipt for it is still taken: later than that the receiver's copy stays
 * lost (and the receipt is counted as `stale`). Long enough for any receipt a harness that keeps up would see.
 */
export const LATE_HORIZON_MS = 10_000;

interface PendingLoss {
  judgedMs: number;
  tags: Tags;
}

export type Outcome = 'received' | 'late';

export class FrameAccountant {
  private readonly pending = new Map<string, PendingLoss>();
  private readonly tally = { expected: 0, received: 0, late: 0, lost: 0, discardedReader: 0, skipped: 0, stale: 0 };

  constructor(private readonly series: MetricSeries) {}

  /** received or late, by the receipt's latency (capture -> arrival at the receiver) */
  static outcomeOf(latencyMs: number | undefined): Outcome {
    return latencyMs !== undefined && latencyMs > LOSS_WINDOW_MS ? 'late' : 'received';
  }

  /** One expected (frame, receiver) pair that has its receipt when the frame is judged. */
  arrived(outcome: Outcome, tags: Tags, discarded: boolean): void {
    this.tally.expected += 1;
    this.count(outcome, tags, discarded);
  }

  /** One expected pair without a receipt when the frame is judged: lost unless a receipt comes in time. */
  missing(frameKey: string, sub: string, tags: Tags, nowMs: number): void {
    this.tally.expected += 1;
    this.pending.set(`${frameKey}|${sub}`, { judgedMs: nowMs, tags });
  }

  /**
   * A receipt for a frame already judged. True when it settled a provisionally lost pair (the caller then
   * reports it as received or late); false when the pair was not expected or was already settled.
   */
  settle(frameKey: string, sub: string, outcome: Outcome, discarded: boolean): boolean {
    const key = `${frameKey}|${sub}`;
    const pending = this.pending.get(key);
    if (!pending) return false;
    this.pending.delete(key);
    this.count(outcome, pending.tags, discarded);
    return true;
  }

  /**
   * A provisionally lost pair that turns out not to have been expected: the AI hook dropped (or failed) the frame,
   * and said so only after the frame was judged. Already settled pairs stay as they are.
   */
  withdraw(frameKey: string, sub: string): void {
    if (this.pending.delete(`${frameKey}|${sub}`)) this.tally.expected -= 1;
  }

  /** A receipt that came after the late horizon of its frame: its pair stays lost. */
  stale(): void {
    this.tally.stale += 1;
  }

  skipped(): void {
    this.tally.skipped += 1;
  }

  private count(outcome: Outcome, tags: Tags, discarded: boolean): void {
    this.tally[outcome] += 1;
    if (discarded) this.tally.discardedReader += 1;
    this.series.rate('frame_loss_ratio', false, tags);
  }

  /** Pairs still without a receipt past the late horizon (all of them with `all`) become lost. */
  expire(nowMs: number, all: boolean): void {
    const cutoff = nowMs - LATE_HORIZON_MS;
    for (const [key, pending] of this.pending) {
      if (!all && pending.judgedMs > cutoff) break; // insertion order is judging order
      this.pending.delete(key);
      this.tally.lost += 1;
      this.series.add('frames_lost', pending.tags);
      this.series.rate('frame_loss_ratio', true, pending.tags);
    }
  }

  /** Provisionally lost pairs (not yet expired). */
  get pendingCount(): number {
    return this.pending.size;
  }

  summary(): FrameAccounting {
    const t = this.tally;
    // pairs still pending are lost for the summary (expire(…, true) runs at the end of a run)
    const lost = t.lost + this.pending.size;
    return {
      expected: t.expected,
      received: t.received,
      late: t.late,
      lost,
      holds: t.received + t.late + lost === t.expected,
      discardedReader: t.discardedReader,
      skipped: t.skipped,
      stale: t.stale,
    };
  }
}
