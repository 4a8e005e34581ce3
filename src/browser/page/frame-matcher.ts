/**
 * Which frames drawn into a browser publisher's source its encoder sent, and which it dropped (sent-frames.ts
 * feeds it; pure, no DOM, so it is unit-tested in Node). The encoder emits a subsequence of the drawn frames,
 * in order, and the page's decode of its own output names each encoded frame by its marker. So once an
 * encoded frame is named frame S, every drawn frame before S that no encoded frame before it can account for
 * was never encoded: dropped. A drawn frame is never judged dropped while it may still be in the encoder:
 * only a newer encoded frame, or `staleMs` with nothing left to identify, settles it.
 */

export interface DrawnFrame {
  seq: number;
  /** its scheduled capture time (the marker's) */
  captureMs: number;
  /** when it entered the encoder's source */
  drawnMs: number;
}

/** One frame as it left the encoder, before it went to RTP. */
export interface EncodedEntry {
  rtpTs: number;
  sentMs: number;
  bytes: number;
  keyframe: boolean;
}

export type FrameVerdict =
  | { kind: 'sent'; seq: number; captureMs: number; encoded: EncodedEntry }
  | { kind: 'dropped'; seq: number; captureMs: number };

export interface FrameMatcherOptions {
  /**
   * a drawn frame not seen encoded this long after it was drawn, with no encoded frame left to name, is dropped; ms
   * (default 1000)
   */
  staleMs?: number;
  /** at most this many drawn frames and this many encoded frames wait; the oldest beyond are settled (default 240) */
  pendingLimit?: number;
}

export class FrameMatcher {
  /** drawn frames not judged yet, ascending seq */
  private readonly drawn: DrawnFrame[] = [];
  /** encoded frames not named yet, in the encoder's order */
  private readonly encoded: EncodedEntry[] = [];
  private readonly staleMs: number;
  private readonly pendingLimit: number;

  constructor(options: FrameMatcherOptions = {}) {
    this.staleMs = options.staleMs ?? 1000;
    this.pendingLimit = options.pendingLimit ?? 240;
  }

  /** A frame entered the encoder's source. */
  onDrawn(frame: DrawnFrame): FrameVerdict[] {
    this.drawn.push(frame);
    const out: FrameVerdict[] = [];
    // far more frames waiting than any encoder holds: the oldest were not encoded
    while (this.drawn.length > this.pendingLimit) out.push(dropped(this.drawn.shift() as DrawnFrame));
    return out;
  }

  /** A frame left the encoder (its decoded copy is named later, or never). */
  onEncoded(entry: EncodedEntry): void {
    this.encoded.push(entry);
    if (this.encoded.length > this.pendingLimit) this.encoded.shift();
  }

  /**
   * The decoded copy of the encoded frame with RTP timestamp `rtpTs` carries the marker of frame `seq`. Returns
   * the verdicts this settles: frame `seq` sent, and every drawn frame before it sent (paired, newest with
   * newest, with encoded frames before it whose marker could not be read) or dropped.
   */
  onIdentified(rtpTs: number, seq: number): FrameVerdict[] {
    const index = this.encoded.findIndex((e) => e.rtpTs === rtpTs);
    if (index < 0) return []; // forgotten (over the limit)
    const unnamed = this.encoded.splice(0, index + 1);
    const entry = unnamed.pop() as EncodedEntry;
    let before = 0;
    while (before < this.drawn.length && (this.drawn[before] as DrawnFrame).seq < seq) before += 1;
    const earlier = this.drawn.splice(0, before);
    const out: FrameVerdict[] = [];
    // encoded frames whose marker was unreadable are some of the earlier drawn frames; which, nobody can tell:
    // pair newest with newest (an encoder drops under load, so the older ones are the likelier drops)
    const paired = Math.min(unnamed.length, earlier.length);
    for (const [i, frame] of earlier.entries()) {
      const pair = i - (earlier.length - paired);
      if (pair < 0) out.push(dropped(frame));
      else out.push(sent(frame, unnamed[unnamed.length - paired + pair] as EncodedEntry));
    }
    const self = this.drawn[0]?.seq === seq ? this.drawn.shift() : undefined;
    if (self) out.push(sent(self, entry));
    return out;
  }

  /**
   * Drawn frames `staleMs` old while no encoded frame waits to be named: the encoder never emitted them (after
   * the last frame is sent, nothing newer will settle them). Frames four times as old are settled regardless.
   */
  judgeStale(nowMs: number): FrameVerdict[] {
    const out: FrameVerdict[] = [];
    while (this.drawn.length > 0) {
      const oldest = this.drawn[0] as DrawnFrame;
      const ageMs = nowMs - oldest.drawnMs;
      if (ageMs < this.staleMs || (this.encoded.length > 0 && ageMs < 4 * this.staleMs)) break;
      this.drawn.shift();
      out.push(dropped(oldest));
    }
    if (
      this.drawn.length === 0 &&
      this.encoded.length > 0 &&
      nowMs - (this.encoded[this.encoded.length - 1] as EncodedEntry).sentMs > 4 * this.staleMs
    )
      this.encoded.length = 0;
    return out;
  }

  /** frames drawn and not judged yet */
  get pending(): number {
    return this.drawn.length;
  }
}

function sent(frame: DrawnFrame, encoded: EncodedEntry): FrameVerdict {
  return { kind: 'sent', seq: frame.seq, captureMs: frame.captureMs, encoded };
}

function dropped(frame: DrawnFrame): FrameVerdict {
  return { kind: 'dropped', seq: frame.seq, captureMs: frame.captureMs };
}
