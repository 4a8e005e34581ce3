/**
 * The subscriptions of a run, each with the window it was connected for: which frames each one expects, and how
 * many it received inside the measurement window (its fps). The collector judges frames against them.
 */
import type { SubscriptionWindow } from '../protocol/runner-ipc.js';
import { LOSS_WINDOW_MS } from './accounting.js';

/** A subscription counts frames captured from this long after it connected (frames in flight at join). */
export const JOIN_MARGIN_MS = 100;

export class Subscriptions {
  private readonly windows: SubscriptionWindow[] = [];
  private readonly bySub = new Map<string, SubscriptionWindow>();
  /** frames received per subscription inside the measurement window */
  private readonly received = new Map<string, number>();

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

  /** One more frame received at `sub` inside the measurement window. */
  countReceived(sub: string): void {
    this.received.set(sub, (this.received.get(sub) ?? 0) + 1);
  }

  /** Each subscription's frames per second over its part of [fromMs, endMs]; none for one without such a part. */
  fps(fromMs: number, endMs: number): { window: SubscriptionWindow; fps: number }[] {
    const out: { window: SubscriptionWindow; fps: number }[] = [];
    for (const window of this.windows) {
      const durationS = (Math.min(window.endMs ?? endMs, endMs) - Math.max(window.startMs, fromMs)) / 1000;
      if (durationS > 0) out.push({ window, fps: (this.received.get(window.sub) ?? 0) / durationS });
    }
    return out;
  }
}
