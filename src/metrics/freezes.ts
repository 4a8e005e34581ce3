/**
 * Video freezes and the first frame, at every receiver, from each subscription's frame times. A freeze follows the
 * W3C definition of webrtc-stats' `freezeCount` / `totalFreezesDuration`: an inter-frame gap of at least
 * max(3 x mean, mean + 150 ms), the mean being the linear average of the durations of the last 30 frames. Two
 * choices the definition leaves open are taken as libwebrtc's receiver takes them: the gap of a freeze is not added
 * to the mean (a freeze would raise the bar for the next one for 30 frames), and no gap is judged before 5 frame
 * durations are known (the first frames of a subscription come in a burst after the keyframe).
 *
 * A frame's time is when the receiver had it to show: a synthetic receiver's `receivedMs` (frame complete), a
 * browser's `renderedMs` (the decoded frame readable in the page). A frame the page never got (`discarded`) was
 * never shown, so it is no frame here. A gap is judged at the frame that ends it, so the silence after a
 * subscription's last frame (it left, or the run ended) is never a freeze, and a subscription that leaves and joins
 * again starts a new history under its new session id.
 */
import type { ReceivedFrameRecord, SubscriptionWindow } from '../protocol/runner-ipc.js';

/** frame durations the mean is taken over (W3C: the last 30 frames) */
export const FREEZE_HISTORY_FRAMES = 30;
/** frame durations needed before a gap is judged (libwebrtc's receiver: 5) */
export const FREEZE_MIN_HISTORY_FRAMES = 5;
/** a freeze is at least this much longer than the mean frame duration, ms */
const FREEZE_MIN_EXCESS_MS = 150;

/** The shortest gap that is a freeze, after frames lasting `meanMs` on average. */
export function freezeThresholdMs(meanMs: number): number {
  return Math.max(3 * meanMs, meanMs + FREEZE_MIN_EXCESS_MS);
}

/** One receiver's frame times, in the order it showed them: finds its freezes. */
export class FreezeDetector {
  private lastMs: number | undefined;
  /** the last FREEZE_HISTORY_FRAMES frame durations that were not freezes, a ring */
  private readonly durationsMs: number[] = [];
  private oldest = 0;
  private sumMs = 0;
  /** frames earlier than one already judged (records out of order): not judged, since the gap they split is */
  outOfOrder = 0;

  /** A frame shown at `frameMs`: the freeze its gap was (its length, ms), or undefined. */
  frame(frameMs: number): number | undefined {
    const lastMs = this.lastMs;
    if (lastMs !== undefined && frameMs < lastMs) {
      this.outOfOrder += 1;
      return undefined;
    }
    this.lastMs = frameMs;
    if (lastMs === undefined) return undefined;
    const gapMs = frameMs - lastMs;
    const known = this.durationsMs.length;
    if (known >= FREEZE_MIN_HISTORY_FRAMES && gapMs >= freezeThresholdMs(this.sumMs / known)) return gapMs;
    if (known < FREEZE_HISTORY_FRAMES) this.durationsMs.push(gapMs);
    else {
      this.sumMs -= this.durationsMs[this.oldest] as number;
      this.durationsMs[this.oldest] = gapMs;
      this.oldest = (this.oldest + 1) % FREEZE_HISTORY_FRAMES;
    }
    this.sumMs += gapMs;
    return undefined;
  }
}

/** When a receiver had the frame to show: displayed (browsers), complete (synthetic); undefined if never shown. */
export function shownMs(record: ReceivedFrameRecord): number | undefined {
  if (record.discarded) return undefined;
  return record.renderedMs ?? record.receivedMs;
}

/** Every subscription's frames: its freezes, and when it showed its first frame. */
export class SubscriptionFrames {
  private readonly bySub = new Map<string, { detector: FreezeDetector; firstMs: number }>();

  /**
   * One receipt, in the order its receiver reported it (records of one subscription come from one runner, in
   * order): sets its `freezeMs` when the gap before it was a freeze, and notes the subscription's first frame.
   */
  onReceipt(record: ReceivedFrameRecord): void {
    const frameMs = shownMs(record);
    if (frameMs === undefined) return;
    const state = this.bySub.get(record.sub);
    if (!state) {
      const detector = new FreezeDetector();
      detector.frame(frameMs);
      this.bySub.set(record.sub, { detector, firstMs: frameMs });
      return;
    }
    state.firstMs = Math.min(state.firstMs, frameMs);
    const freezeMs = state.detector.frame(frameMs);
    if (freezeMs !== undefined) record.freezeMs = freezeMs;
  }

  /** The subscription's subscribe request -> its first frame shown, ms; undefined until both are known. */
  timeToFirstFrameMs(window: SubscriptionWindow): number | undefined {
    const firstMs = this.bySub.get(window.sub)?.firstMs;
    return firstMs === undefined || window.requestMs === undefined ? undefined : firstMs - window.requestMs;
  }
}
