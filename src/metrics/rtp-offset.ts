/**
 * The RTP timestamp offset of each subscription whose frames come without a frame id (real VP8 behind an SFU
 * that strips header extensions, a browser publisher's frames at a synthetic receiver): an SFU may rewrite
 * timestamps (Janus does), so a receiver's timestamp is the publisher's plus an offset fixed per subscription.
 *
 * How it is learned (docs/architecture.md section 2):
 * - offset 0 (the SFU kept the publisher's timestamps): a receipt with a sent record at its own timestamp (of
 *   its size, when the receiver knows it), as the direct join always did;
 * - by sizes: a run of MIN_RUN receipts whose VP8 frame sizes equal the sizes of the publisher's sent records
 *   at their timestamps minus one offset; the offset must be the only one that fits;
 * - by a named frame: a receipt the receiver named itself (a browser's marker) gives receiver and publisher
 *   timestamps of one frame, so the offset directly.
 * How it is verified: every later receipt with a size is checked against its sent record. One that does not fit is
 * never named through the offset (it is given up: identity lost, not guessed); MAX_MISMATCHES in a row (the SFU
 * changed its offset, e.g. a new publisher stream) forget the offset, and it is learned again. A later marker that
 * disagrees replaces the offset at once.
 */

/** receipts that must fit one offset before it is taken */
export const MIN_RUN = 4;
/** sizes that disagree in a row before a learned offset is dropped */
const MAX_MISMATCHES = 3;
/** sent records kept per publisher (about 20 s at 30 fps) */
const SENT_MEMORY = 600;
/** receipts held per subscription while its offset is unknown (older ones are given up) */
const MAX_PENDING = 64;
/**
 * how far past the publisher's newest sent record a mapped timestamp may lie and still be a record on its way
 * (records cross processes in 100 ms batches), 90 kHz ticks: 5 s
 */
const MAX_AHEAD_TICKS = 5 * 90_000;

/** What the learner needs of a receipt without a frame id. */
export interface OffsetReceipt {
  /** the timestamp the receiver saw */
  rtpTs: number;
  /** the VP8 frame's size at the receiver (absent: browsers, which learn from named frames) */
  frameBytes?: number;
}

interface SubscriptionState<R> {
  offset?: number;
  mismatches: number;
  pending: R[];
}

/** One publisher's recent sent frames: size by RTP timestamp (in sending order), timestamps by size. */
interface SentFrames {
  byTs: Map<number, number>;
  bySize: Map<number, number[]>;
  newestTs: number;
}

/** Serial-number arithmetic (RFC 1982): is timestamp `a` after `b`, timestamps wrapping at 2^32? */
const after = (a: number, b: number): boolean => ((a - b) | 0) > 0;

export class RtpOffsetLearner<R extends OffsetReceipt> {
  /** per publisher tag */
  private readonly sent = new Map<number, SentFrames>();
  private readonly subs = new Map<string, SubscriptionState<R>>();
  /** receipts pushed out of a full hold, to be given up */
  private dropped: R[] = [];

  /** A publisher's sent record (its RTP timestamp and VP8 frame size). */
  addSent(publisherTag: number, rtpTs: number, bytes: number): void {
    const ts = rtpTs >>> 0;
    let frames = this.sent.get(publisherTag);
    if (!frames) {
      frames = { byTs: new Map(), bySize: new Map(), newestTs: ts };
      this.sent.set(publisherTag, frames);
    }
    if (frames.byTs.has(ts)) return;
    frames.byTs.set(ts, bytes);
    frames.newestTs = ts;
    const sameSize = frames.bySize.get(bytes);
    if (sameSize) sameSize.push(ts);
    else frames.bySize.set(bytes, [ts]);
    if (frames.byTs.size <= SENT_MEMORY) return;
    const [oldestTs, oldestBytes] = frames.byTs.entries().next().value as [number, number];
    frames.byTs.delete(oldestTs);
    const list = frames.bySize.get(oldestBytes);
    list?.shift(); // the oldest of its size too: both are in sending order
    if (list?.length === 0) frames.bySize.delete(oldestBytes);
  }

  /** The learned offset of a subscription (receiver timestamp - publisher timestamp, mod 2^32). */
  offsetOf(sub: string): number | undefined {
    return this.subs.get(sub)?.offset;
  }

  private stateOf(sub: string): SubscriptionState<R> {
    let state = this.subs.get(sub);
    if (!state) {
      state = { mismatches: 0, pending: [] };
      this.subs.set(sub, state);
    }
    return state;
  }

  /**
   * A receipt without a frame id. Returns the publisher timestamp of its frame once the offset is known
   * (undefined: held until it is; take them with `learn`).
   */
  map(sub: string, publisherTag: number, receipt: R): number | undefined {
    const state = this.stateOf(sub);
    if (state.offset !== undefined) {
      const publisherTs = (receipt.rtpTs - state.offset) >>> 0;
      const verdict = this.check(publisherTag, publisherTs, receipt.frameBytes);
      if (verdict !== 'mismatch') {
        if (verdict === 'match') state.mismatches = 0;
        return publisherTs;
      }
      state.mismatches += 1;
      if (state.mismatches < MAX_MISMATCHES) {
        // not named through an offset it contradicts (on a shifted timeline it may land on another frame): given up
        this.dropped.push(receipt);
        return undefined;
      }
      state.offset = undefined; // the SFU moved its timeline: learn it again
      state.mismatches = 0;
    } else {
      // the usual case, an SFU that keeps the publisher's timestamps: a sent record at the receipt's own timestamp
      // (of its size, when known) names it at once. A rewritten timeline lands on one only by chance (its random
      // offset a multiple of the frame interval within the sent memory: about 1e-6 per subscription)
      const direct = this.sent.get(publisherTag)?.byTs.get(receipt.rtpTs >>> 0);
      if (direct !== undefined && (receipt.frameBytes === undefined || direct === receipt.frameBytes)) {
        state.offset = 0;
        return receipt.rtpTs >>> 0;
      }
    }
    state.pending.push(receipt);
    if (state.pending.length > MAX_PENDING) this.dropped.push(state.pending.shift() as R);
    return undefined;
  }

  /**
   * Does a receipt fit the sent record at `publisherTs`? `mismatch`: a record of another size, none where the
   * publisher's records (in sending order) have passed that timestamp, or a timestamp too far ahead of them to be
   * a record on its way; `unknown`: no size to compare, or the record may still come.
   */
  private check(
    publisherTag: number,
    publisherTs: number,
    frameBytes: number | undefined,
  ): 'match' | 'mismatch' | 'unknown' {
    const frames = this.sent.get(publisherTag);
    if (!frames || frameBytes === undefined) return 'unknown';
    const bytes = frames.byTs.get(publisherTs);
    if (bytes !== undefined) return bytes === frameBytes ? 'match' : 'mismatch';
    const oldestTs = frames.byTs.keys().next().value as number;
    if (after(publisherTs, oldestTs) && after(frames.newestTs, publisherTs)) return 'mismatch';
    return after(publisherTs, frames.newestTs) && (publisherTs - frames.newestTs) >>> 0 > MAX_AHEAD_TICKS
      ? 'mismatch'
      : 'unknown';
  }

  /**
   * A frame the receiver named itself (a marker) and the publisher's timestamp of it: the offset directly. The
   * marker is the ground truth: one that disagrees with the offset in use (the SFU moved its timeline) replaces it.
   */
  named(sub: string, receiverTs: number, publisherTs: number): void {
    const state = this.stateOf(sub);
    const offset = (receiverTs - publisherTs) >>> 0;
    if (state.offset !== offset) {
      state.offset = offset;
      state.mismatches = 0;
    }
  }

  /**
   * Tries to learn the offset of subscription `sub` from the receipts it holds; returns them with their
   * publisher timestamps once it is known (and takes them out), else nothing.
   */
  learn(sub: string, publisherTag: number): { receipt: R; publisherTs: number }[] {
    const state = this.subs.get(sub);
    if (!state || state.pending.length === 0) return [];
    const sent = this.sent.get(publisherTag);
    if (state.offset === undefined && sent && state.pending.length >= MIN_RUN) {
      const offset = this.fit(state.pending, sent);
      if (offset !== undefined) state.offset = offset;
    }
    if (state.offset === undefined) return [];
    const offset = state.offset;
    const out = state.pending.map((receipt) => ({ receipt, publisherTs: (receipt.rtpTs - offset) >>> 0 }));
    state.pending = [];
    return out;
  }

  /** The offset under which a run of MIN_RUN held receipts (oldest first) fits the sent records. */
  private fit(pending: readonly R[], sent: SentFrames): number | undefined {
    for (let start = 0; start + MIN_RUN <= pending.length; start += 1) {
      const offset = this.fitRun(pending.slice(start, start + MIN_RUN), sent);
      if (offset !== undefined) return offset;
    }
    return undefined;
  }

  /** The one offset under which every receipt of `run` fits the sent records, if there is exactly one. */
  private fitRun(run: readonly R[], sent: SentFrames): number | undefined {
    // the SFU kept the publisher's timestamps: every receipt of the run has a sent record at its own timestamp
    if (
      run.every((r) => {
        const bytes = sent.byTs.get(r.rtpTs >>> 0);
        return bytes !== undefined && (r.frameBytes === undefined || bytes === r.frameBytes);
      })
    )
      return 0;
    const anchor = run[0] as R;
    if (anchor.frameBytes === undefined) return undefined;
    let found: number | undefined;
    // only the sent frames of the anchor's size can be its frame
    for (const publisherTs of sent.bySize.get(anchor.frameBytes) ?? []) {
      const offset = (anchor.rtpTs - publisherTs) >>> 0;
      const fits = run.every(
        (r) => r.frameBytes !== undefined && sent.byTs.get((r.rtpTs - offset) >>> 0) === r.frameBytes,
      );
      if (!fits) continue;
      if (found !== undefined && found !== offset) return undefined; // two offsets fit: wait for more frames
      found = offset;
    }
    return found;
  }

  /** Every receipt still held (the run ends: their offsets were never learned). */
  drain(): R[] {
    const out: R[] = this.dropped;
    this.dropped = [];
    for (const state of this.subs.values()) {
      out.push(...state.pending);
      state.pending = [];
    }
    return out;
  }

  /** Receipts held longer than wanted (the oldest first; `isOld` says which), and those a full hold pushed out. */
  expire(isOld: (receipt: R) => boolean): R[] {
    const out: R[] = this.dropped;
    this.dropped = [];
    for (const state of this.subs.values()) {
      while (state.pending.length > 0 && isOld(state.pending[0] as R)) out.push(state.pending.shift() as R);
    }
    return out;
  }

  /** Subscriptions still holding receipts (their offset is not known yet). */
  waitingSubs(): string[] {
    return [...this.subs].filter(([, s]) => s.pending.length > 0).map(([sub]) => sub);
  }
}
