/** Freezes by the W3C definition, from frame times; the first frame of each subscription; what the collector counts. */
import { describe, expect, it } from 'vitest';

import { FrameCollector } from '../../../src/metrics/collector.js';
import {
  FREEZE_HISTORY_FRAMES,
  FREEZE_MIN_HISTORY_FRAMES,
  FreezeDetector,
  freezeThresholdMs,
  SubscriptionFrames,
} from '../../../src/metrics/freezes.js';
import { MetricSeries } from '../../../src/metrics/series.js';
import type { FrameRecord } from '../../../src/metrics/types.js';
import type { ReceivedFrameRecord } from '../../../src/protocol/runner-ipc.js';

/** Feeds frame times in order; returns the freezes found. */
function freezesOf(times: number[], detector = new FreezeDetector()): number[] {
  const out: number[] = [];
  for (const t of times) {
    const freeze = detector.frame(t);
    if (freeze !== undefined) out.push(freeze);
  }
  return out;
}

/** `n` frames from `fromMs`, `intervalMs` apart. */
const steady = (fromMs: number, n: number, intervalMs: number): number[] =>
  Array.from({ length: n }, (_, i) => fromMs + i * intervalMs);

describe('freezes (W3C freezeCount)', () => {
  it('finds none in a steady 30 fps stream, nor in the jitter of a busy receiver', () => {
    expect(freezesOf(steady(0, 900, 1000 / 30))).toEqual([]);
    // +/- 20 ms around 33 ms, and a late frame of 150 ms: under mean + 150
    const jittery = steady(0, 300, 1000 / 30).map((t, i) => t + (i % 2 === 0 ? 20 : -20));
    jittery.splice(200, 4);
    expect(freezesOf(jittery)).toEqual([]);
  });

  it('counts a 1 s gap as one freeze of the gap, once, and the stream after it as smooth', () => {
    const before = steady(0, 60, 1000 / 30);
    const last = before.at(-1) as number;
    const after = steady(last + 1000, 60, 1000 / 30);
    const freezes = freezesOf([...before, ...after]);
    expect(freezes).toHaveLength(1);
    expect(freezes[0]).toBeCloseTo(1000, 6);
  });

  it('takes the bar as max(3 x mean, mean + 150 ms): a gap equal to it freezes, one just under does not', () => {
    expect(freezeThresholdMs(1000 / 30)).toBeCloseTo(1000 / 30 + 150, 6);
    expect(freezeThresholdMs(100)).toBe(300);
    expect(freezeThresholdMs(75)).toBe(225); // where the two meet
    // 10 fps: the bar is 300 ms
    expect(freezesOf([...steady(0, 40, 100), 3900 + 299.9])).toEqual([]);
    expect(freezesOf([...steady(0, 40, 100), 3900 + 300])).toEqual([300]);
    // 30 fps: the bar is 183.3 ms
    const at30 = steady(0, 40, 1000 / 30);
    const last = at30.at(-1) as number;
    expect(freezesOf([...at30, last + 183])).toEqual([]);
    expect(freezesOf([...at30, last + 184])).toHaveLength(1);
  });

  it('averages the last 30 frame durations only: a slow start is forgotten', () => {
    // 40 frames at 10 fps, then 30 at 30 fps: the mean is now 33 ms, so a 250 ms gap (under the old 300) freezes
    const slow = steady(0, 40, 100);
    const fast = steady((slow.at(-1) as number) + 1000 / 30, FREEZE_HISTORY_FRAMES, 1000 / 30);
    expect(freezesOf([...slow, ...fast, (fast.at(-1) as number) + 250])).toEqual([250]);
    // with only 20 fast durations, 10 slow ones are still in the mean (about 55 ms: bar 205), so 200 does not
    const fewer = fast.slice(0, 20);
    expect(freezesOf([...slow, ...fewer, (fewer.at(-1) as number) + 200])).toEqual([]);
  });

  it('judges no gap before 5 frame durations are known, and averages the ones it has', () => {
    expect(FREEZE_MIN_HISTORY_FRAMES).toBe(5);
    // 4 durations of 33 ms, then 1 s: too little history to call it a freeze
    expect(freezesOf([...steady(0, 5, 33), 132 + 1000])).toEqual([]);
    // 5 durations: the mean of those 5 (33 ms) sets the bar
    expect(freezesOf([...steady(0, 6, 33), 165 + 1000])).toEqual([1000]);
    expect(freezesOf([])).toEqual([]);
    expect(freezesOf([5])).toEqual([]);
  });

  it('keeps a freeze out of the mean, so a second freeze soon after is still one', () => {
    const a = steady(0, 40, 1000 / 30);
    const b = steady((a.at(-1) as number) + 1000, 5, 1000 / 30);
    const c = (b.at(-1) as number) + 400;
    expect(freezesOf([...a, ...b, c])).toEqual([expect.closeTo(1000, 6), expect.closeTo(400, 6)]);
  });

  it('ignores a frame earlier than one already judged (out of order) and counts it', () => {
    const detector = new FreezeDetector();
    const times = steady(0, 40, 1000 / 30);
    const last = times.at(-1) as number;
    // the late record of a frame shown before the last one: no negative duration, no freeze, the mean unchanged
    expect(freezesOf([...times, last - 50, last + 1000 / 30, last + 1000 / 30 + 184], detector)).toHaveLength(1);
    expect(detector.outOfOrder).toBe(1);
    // equal times (two frames complete in one datagram's processing) are in order: a zero duration
    expect(freezesOf([...times, last, last + 1000 / 30])).toEqual([]);
  });
});

describe('SubscriptionFrames', () => {
  const receipt = (sub: string, ms: Partial<ReceivedFrameRecord>): ReceivedFrameRecord => ({
    peer: 'p',
    sub,
    bytes: 1,
    keyframe: false,
    ...ms,
  });

  it("marks the receipt that ended a freeze, per subscription, on browsers' renderedMs, skipping discarded frames", () => {
    const frames = new SubscriptionFrames();
    const records: ReceivedFrameRecord[] = [];
    for (const t of steady(0, 30, 1000 / 30)) {
      // browser: receivedMs (encoded frame) and renderedMs (displayed) differ; the displayed time counts
      records.push(receipt('B', { receivedMs: t, renderedMs: t + 40 }));
      records.push(receipt('S', { receivedMs: t }));
    }
    // the browser's decoder caught up: frames complete during its stall were never shown (discarded)
    records.push(receipt('B', { receivedMs: 1000, discarded: true }));
    records.push(receipt('B', { receivedMs: 1033, renderedMs: 966.67 + 40 + 600 }));
    records.push(receipt('S', { receivedMs: 1000 }));
    for (const r of records) frames.onReceipt(r);
    const marked = records.filter((r) => r.freezeMs !== undefined);
    // the browser's 600 ms between displayed frames; the synthetic subscription's last gap (33 ms) is no freeze
    expect(marked.map((r) => [r.sub, Math.round(r.freezeMs as number)])).toEqual([['B', 600]]);
  });

  it('gives time to first frame from the request to the first frame shown, once both are known', () => {
    const frames = new SubscriptionFrames();
    frames.onReceipt(receipt('A', { receivedMs: 1300, discarded: true }));
    frames.onReceipt(receipt('A', { receivedMs: 1310, renderedMs: 1350 }));
    frames.onReceipt(receipt('A', { receivedMs: 1340, renderedMs: 1380 }));
    const window = { peer: 'p', sub: 'A', publisherTag: 1, startMs: 1200 };
    expect(frames.timeToFirstFrameMs(window)).toBeUndefined(); // no request time (a window from an older runner)
    expect(frames.timeToFirstFrameMs({ ...window, requestMs: 1000 })).toBe(350);
    expect(frames.timeToFirstFrameMs({ ...window, sub: 'none', requestMs: 1000 })).toBeUndefined();
  });
});

describe('freezes in the collector', () => {
  it('counts a freeze ended by a measured frame in freeze_count and freeze_ms and on its FrameRecord; not one in warm-up', () => {
    const series = new MetricSeries();
    const records: FrameRecord[] = [];
    const peers = new Map([
      ['pub', { room: 'r', kind: 'synthetic' }],
      ['sub', { room: 'r', kind: 'synthetic' }],
    ]);
    const collector = new FrameCollector(series, peers, (r) => records.push(r));
    collector.registerPublisher(1, 'pub');
    collector.addWindow({ peer: 'sub', sub: 'A', publisherTag: 1, requestMs: 900, startMs: 950 });
    collector.measureFromMs = 3000;
    // 30 fps from 1000 ms; a 500 ms gap in warm-up (at 2000), a 1 s gap in the measured window (at 5000)
    const times = [...steady(1000, 30, 1000 / 30), ...steady(2500, 60, 1000 / 30)];
    const gapAt = times.length;
    const lastMs = times.at(-1) as number;
    times.push(...steady(lastMs + 1000, 30, 1000 / 30));
    times.forEach((t, seq) => {
      collector.onSent({ f: `1:${seq}`, peer: 'pub', captureMs: t - 10, sentMs: t - 10, bytes: 1, keyframe: false }, t);
      collector.onReceived({ f: `1:${seq}`, peer: 'sub', sub: 'A', receivedMs: t, bytes: 1, keyframe: false }, t);
    });
    collector.finalise(100_000, true);
    collector.recordFps(8000);
    const summaries = series.summaries();
    expect(summaries['freeze_count']).toMatchObject({ count: 1 });
    expect((summaries['freeze_ms'] as { count: number }).count).toBeCloseTo(1000, 6);
    const frozen = records.filter((r) => r.freezeMs !== undefined);
    expect(frozen.map((r) => [r.frameId, r.warmup === true, Math.round(r.freezeMs as number)])).toEqual([
      ['1:30', true, Math.round(2500 - (1000 + 29 * (1000 / 30)))],
      [`1:${gapAt}`, false, 1000],
    ]);
    expect(series.trend('time_to_first_frame_ms')?.summary()).toMatchObject({ count: 1, min: 100, max: 100 });
  });
});
