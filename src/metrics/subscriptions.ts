/**
 * The subscriptions of a run, each with the window it was connected for: which frames each one expects, how
 * many it received inside the measurement window (its fps), its freezes and its first frame (freezes.ts). The
 * collector judges frames against them.
 */
import type { ReceivedFrameRecord, SubscriptionWindow } from '../protocol/runner-ipc.js';
import { LOSS_WINDOW_MS } from './accounting.js';
import { arrivalOf } from './frame-state.js';
import { SubscriptionFrames } from './freezes.js';

/** A subscription counts frames captured from this long after it connected (frames in flight at join). */
export const JOIN_MARGIN_MS = 100;

/** A subscription over its part of the measured window. */
interface SubscriptionSample {
  window: SubscriptionWindow;
  fps: number;
  /** subscribe request -> first frame shown, when the request time is known */
  timeToFirstFrameMs?: number;
}

export class Subscriptions {
  private readonly windows: SubscriptionWindow[] = [];
  private readonly bySub = new Map<string, SubscriptionWindow>();
  /** frames received per subscription inside the measurement window */
  private readonly received = new Map<string, number>();
  /** each subscription's frame times: its freezes, its first frame */
  private readonly frames = new SubscriptionFrames();

  /** A subscription connected, or (the same `sub` again) its window changed. */
  add(window: SubscriptionWindow): void {
    const existing = this.bySub.get(window.sub);
    if (existing) Object.assign(existing, window);
    else {
      const copy = { ...window };
      this.windows.push(copy);
      this.bySub.set(copy.sub, copy);
    }
  }

  get(sub: string): SubscriptionWindow | undefined {
    return this.bySub.get(sub);
  }

  /** The subscriptions (connected) to the publisher with this tag. */
  of(publisherTag: number): SubscriptionWindow[] {
    return this.windows.filter((w) => w.publisherTag === publisherTag);
  }

  /** The subscriptions to this publisher open for the whole life of a frame captured at `captureMs`: they expect it. */
  expecting(publisherTag: number, captureMs: number): SubscriptionWindow[] {
    return this.windows.filter(
      (w) =>
        w.publisherTag === publisherTag &&
        captureMs >= w.startMs + JOIN_MARGIN_MS &&
        (w.endMs === undefined || captureMs <= w.endMs - LOSS_WINDOW_MS),
    );
  }

  /** When the last subscription has been open for the join margin (-Infinity without any). */
  get lastJoinMs(): number {
    return Math.max(Number.NEGATIVE_INFINITY, ...this.windows.map((w) => w.startMs + JOIN_MARGIN_MS));
  }

  /** Closes the windows of a peer that failed mid-run: frames after this are not expected from it. */
  end(peer: string, endMs: number): void {
    for (const w of this.windows) if (w.peer === peer && w.endMs === undefined) w.endMs = endMs;
  }

  /**
   * A receipt at its subscription, as it arrives: counted when it arrived inside the measurement window (from
   * `measureFromMs`); marked with `freezeMs` when the gap before it was a freeze.
   */
  onReceipt(record: ReceivedFrameRecord, measureFromMs: number): void {
    if (arrivalOf(record) >= measureFromMs) this.received.set(record.sub, (this.received.get(record.sub) ?? 0) + 1);
    this.frames.onReceipt(record);
  }

  /**
   * Each subscription's frames per second over its part of [fromMs, endMs], and its time to first frame (when
   * its request time is known), whenever it joined; none for one without such a part.
   */
  fps(fromMs: number, endMs: number): SubscriptionSample[] {
    const out: SubscriptionSample[] = [];
    for (const window of this.windows) {
      const durationS = (Math.min(window.endMs ?? endMs, endMs) - Math.max(window.startMs, fromMs)) / 1000;
      if (durationS <= 0) continue;
      const entry: SubscriptionSample = { window, fps: (this.received.get(window.sub) ?? 0) / durationS };
      const timeToFirstFrameMs = this.frames.timeToFirstFrameMs(window);
      if (timeToFirstFrameMs !== undefined) entry.timeToFirstFrameMs = timeToFirstFrameMs;
      out.push(entry);
    }
    return out;
  }
}
