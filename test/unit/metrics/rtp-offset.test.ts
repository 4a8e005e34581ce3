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

  it('never names a receipt through an offset its size contradicts: it is given up, not counted for another frame', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    const frames = publisherFrames(60, 0);
    for (const f of frames) learner.addSent(7, f.rtpTs, f.bytes);
    const named: (number | undefined)[] = [];
    const feed = (from: number, to: number, offset: number): void => {
      for (const f of frames.slice(from, to)) {
        named.push(learner.map('S', 7, { rtpTs: (f.rtpTs + offset) >>> 0, frameBytes: f.bytes }));
        for (const h of learner.learn('S', 7)) named.push(h.publisherTs);
      }
    };
    feed(0, 10, 1_000_000);
    named.length = 0;
    // the SFU moves its timeline by whole frame intervals: every receipt lands on a real sent frame of another size
    feed(10, 20, 1_000_000 - 21_000);
    const truth = new Set(frames.slice(10, 20).map((f) => f.rtpTs));
    const names = named.filter((ts): ts is number => ts !== undefined);
    expect(names.every((ts) => truth.has(ts))).toBe(true);
    // the two receipts that contradicted the old offset before it was dropped are given up
    expect(learner.expire(() => false)).toHaveLength(2);
    expect(learner.offsetOf('S')).toBe(1_000_000 - 21_000);
  });

  it('takes a marker that disagrees with the offset in use as the new offset', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    learner.named('S', 123_000, 3000);
    expect(learner.map('S', 7, { rtpTs: 126_000 })).toBe(6000);
    learner.named('S', 500_000, 9000);
    expect(learner.map('S', 7, { rtpTs: 503_000 })).toBe(12_000);
  });

  it('learns again when the SFU moves its timeline far ahead (no sent record can be that new)', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    const frames = publisherFrames(60, 0xffff_0000);
    for (const f of frames) learner.addSent(7, f.rtpTs, f.bytes);
    const feed = (from: number, to: number, offset: number): void => {
      for (const f of frames.slice(from, to)) {
        learner.map('S', 7, { rtpTs: (f.rtpTs + offset) >>> 0, frameBytes: f.bytes });
        learner.learn('S', 7);
      }
    };
    feed(0, 10, 5);
    expect(learner.offsetOf('S')).toBe(5);
    feed(10, 30, 5 + 60 * 90_000); // a minute ahead
    expect(learner.offsetOf('S')).toBe(5 + 60 * 90_000);
  });

  it('gives up, rather than forgets, receipts pushed out of a full hold, and forgets old sent frames of every size', () => {
    const learner = new RtpOffsetLearner<OffsetReceipt>();
    for (let i = 0; i < 100; i += 1) learner.map('S', 7, { rtpTs: i * 3000, frameBytes: 10 });
    const given = learner.expire(() => false);
    expect(given).toHaveLength(100 - 64);
    expect(learner.drain()).toHaveLength(64);
    // 1000 sent frames, each its own size: only the newest 600 are kept, so only they can be fitted
    for (let i = 0; i < 1000; i += 1) learner.addSent(8, i * 3000, 500 + i);
    const receipts = (first: number): OffsetReceipt[] =>
      [0, 1, 2, 3].map((k) => ({ rtpTs: ((first + k) * 3000 + 77) >>> 0, frameBytes: 500 + first + k }));
    for (const r of receipts(0)) learner.map('T', 8, r);
    expect(learner.learn('T', 8)).toEqual([]);
    for (const r of receipts(500)) learner.map('U', 8, r);
    expect(learner.learn('U', 8).map((h) => h.publisherTs)).toEqual([1500000, 1503000, 1506000, 1509000]);
    expect(learner.offsetOf('U')).toBe(77);
  });
});
