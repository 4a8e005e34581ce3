import { describe, expect, it } from 'vitest';

import { MIN_RUN, type OffsetReceipt, RtpOffsetLearner } from '../../../src/metrics/rtp-offset.js';

/** A publisher's frames: RTP timestamps 3000 apart, sizes that vary as an encoder's do. */
function publisherFrames(count: number, firstTs = 0xffff_f000): { rtpTs: number; bytes: number }[] {
  return Array.from({ length: count }, (_, i) => ({
    rtpTs: (firstTs + i * 3000) >>> 0,
    bytes: 1200 + ((i * 7919) % 977),
  }));
}

describe('RtpOffsetLearner', () => {
  it('learns the offset of a rewritten stream from a run of frame sizes, and names every frame through it', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    const frames = publisherFrames(40);
    for (const f of frames) learner.addSent(7, f.rtpTs, f.bytes);
    const offset = 0x8123_4567; // an SFU's timeline, wrapping past 2^32 with the publisher's
    const received = frames.slice(10, 30).map((f) => ({ rtpTs: (f.rtpTs + offset) >>> 0, frameBytes: f.bytes }));
    const named: number[] = [];
    for (const [i, r] of received.entries()) {
      const ts = learner.map('S', 7, r);
      if (ts !== undefined) named.push(ts);
      // held until a run of MIN_RUN fits
      if (i < MIN_RUN - 1) expect(learner.learn('S', 7)).toEqual([]);
      else named.push(...learner.learn('S', 7).map((h) => h.publisherTs));
    }
    expect(learner.offsetOf('S')).toBe(offset);
    expect(named).toEqual(frames.slice(10, 30).map((f) => f.rtpTs));
  });

  it('names at once, with offset 0, a stream whose timestamps the SFU kept', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    const [frame] = publisherFrames(1);
    learner.addSent(7, frame!.rtpTs, frame!.bytes);
    expect(learner.map('S', 7, { rtpTs: frame!.rtpTs, frameBytes: frame!.bytes })).toBe(frame!.rtpTs);
    expect(learner.offsetOf('S')).toBe(0);
  });

  it('takes no offset while two fit (equal sizes), and none from frames that match nothing', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    for (let i = 0; i < 20; i += 1) learner.addSent(7, i * 3000, 1000); // every frame the same size
    for (let i = 0; i < 8; i += 1) learner.map('S', 7, { rtpTs: 555 + i * 3000, frameBytes: 1000 });
    expect(learner.learn('S', 7)).toEqual([]);
    for (let i = 0; i < 8; i += 1) learner.map('T', 7, { rtpTs: 555 + i * 3000, frameBytes: 999 });
    expect(learner.learn('T', 7)).toEqual([]);
    // never learned: given up at the end
    expect(learner.drain()).toHaveLength(16);
  });

  it('learns the offset from a frame the receiver named itself (a marker)', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    learner.named('S', 123_000, 3000);
    expect(learner.map('S', 7, { rtpTs: 126_000 })).toBe(6000);
  });

  it('learns again when the SFU moves its timeline (sizes stop matching)', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    const frames = publisherFrames(60, 0);
    for (const f of frames) learner.addSent(7, f.rtpTs, f.bytes);
    const feed = (from: number, to: number, offset: number): void => {
      for (const f of frames.slice(from, to)) {
        learner.map('S', 7, { rtpTs: (f.rtpTs + offset) >>> 0, frameBytes: f.bytes });
        learner.learn('S', 7);
      }
    };
    feed(0, 10, 1_000_000);
    expect(learner.offsetOf('S')).toBe(1_000_000);
    // the new timeline maps onto frames already sent, of other sizes
    feed(10, 30, 1_000_000 - 21_000 + 5);
    expect(learner.offsetOf('S')).toBe(1_000_000 - 21_000 + 5);
  });
});
