import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LATE_HORIZON_MS, LOSS_WINDOW_MS } from '../../../src/metrics/accounting.js';
import { FrameCollector } from '../../../src/metrics/collector.js';
import { MetricSeries } from '../../../src/metrics/series.js';
import type { FrameRecord } from '../../../src/metrics/types.js';
import type { ReceivedFrameRecord, SentFrameRecord } from '../../../src/protocol/runner-ipc.js';

const SUBS = ['A', 'B', 'C'];

function setup(): { collector: FrameCollector; series: MetricSeries; records: FrameRecord[] } {
  const series = new MetricSeries();
  const records: FrameRecord[] = [];
  const peers = new Map([
    ['pub', { room: 'r1', kind: 'synthetic' }],
    ...SUBS.map((s) => [`sub-${s}`, { room: 'r1', kind: 'synthetic' }] as const),
  ]);
  const collector = new FrameCollector(series, peers, (r) => records.push(r));
  collector.measureFromMs = 0;
  collector.registerPublisher(1, 'pub');
  for (const sub of SUBS) collector.addWindow({ peer: `sub-${sub}`, sub, publisherTag: 1, startMs: -1000 });
  return { collector, series, records };
}

const sent = (seq: number, captureMs: number): SentFrameRecord => ({
  f: `1:${seq}`,
  peer: 'pub',
  captureMs,
  sentMs: captureMs + 1,
  bytes: 100,
  keyframe: false,
});
const receipt = (seq: number, sub: string, receivedMs: number, captureMs: number): ReceivedFrameRecord => ({
  f: `1:${seq}`,
  peer: `sub-${sub}`,
  sub,
  receivedMs,
  captureMs,
  bytes: 100,
  keyframe: false,
});

describe('frame accounting', () => {
  it('counts a receipt that reaches the harness after its frame was judged once: late, with its latency, not lost', () => {
    const { collector, series, records } = setup();
    collector.onSent(sent(0, 1000), 1000);
    collector.onReceived(receipt(0, 'A', 1020, 1000), 1020);
    collector.onReceived(receipt(0, 'B', 1030, 1000), 1030);
    collector.finalise(5000); // judged: C has nothing yet
    collector.onReceived(receipt(0, 'C', 3500, 1000), 5500); // 2.5 s after capture: late
    collector.onReceived(receipt(0, 'C', 3600, 1000), 5600); // a second copy: not a second frame
    collector.finalise(30_000, true);
    const s = series.summaries();
    expect(s['frames_received']).toMatchObject({ count: 2 });
    expect(s['frames_late']).toMatchObject({ count: 1 });
    expect(s['frames_lost']).toMatchObject({ count: 0 });
    expect(s['frame_loss_ratio']).toMatchObject({ count: 3, hits: 0, rate: 0 });
    expect(collector.accounting.summary()).toMatchObject({ expected: 3, received: 2, late: 1, lost: 0, holds: true });
    expect(series.trend('frame_latency_ms')?.max).toBe(2500);
    expect(records.filter((r) => r.subscriber === 'sub-C')).toHaveLength(1);
    expect(records.find((r) => r.subscriber === 'sub-C')).toMatchObject({ late: true, frameLatencyMs: 2500 });
  });

  it('decides received or late by the receipt own latency, not by when a busy harness heard of it', () => {
    const { collector } = setup();
    collector.onSent(sent(0, 1000), 1000);
    collector.finalise(5000); // nobody's receipt has come: all three provisionally lost
    collector.onReceived(receipt(0, 'A', 1040, 1000), 6000); // in time at the receiver, heard late
    collector.finalise(30_000, true);
    expect(collector.accounting.summary()).toMatchObject({ expected: 3, received: 1, late: 0, lost: 2, holds: true });
  });

  it('keeps a provisional loss lost once the late horizon has passed, and counts the stale receipt', () => {
    const { collector, series } = setup();
    collector.onSent(sent(0, 1000), 1000);
    collector.onReceived(receipt(0, 'A', 1020, 1000), 1020);
    collector.onReceived(receipt(0, 'B', 1020, 1000), 1020);
    collector.finalise(5000);
    collector.finalise(5000 + LATE_HORIZON_MS + 1);
    collector.onReceived(receipt(0, 'C', 14_000, 1000), 5000 + LATE_HORIZON_MS + 2);
    collector.finalise(60_000, true);
    expect(series.summaries()['frames_lost']).toMatchObject({ count: 1 });
    expect(collector.accounting.summary()).toMatchObject({ expected: 3, received: 2, lost: 1, stale: 1, holds: true });
  });

  it('counts a publisher record that comes after its frame was judged without it as stale, not as a new frame', () => {
    const { collector, series } = setup();
    collector.onReceived(receipt(0, 'A', 1020, 1000), 1020);
    collector.finalise(1020 + 3000 + LATE_HORIZON_MS + 1); // judged without its publisher's record
    collector.onSent(sent(0, 1000), 1020 + 3000 + LATE_HORIZON_MS + 2);
    collector.finalise(60_000, true);
    expect(series.summaries()['frames_sent']).toMatchObject({ count: 0 });
    expect(collector.accounting.summary()).toMatchObject({ expected: 0, lost: 0, stale: 1, holds: true });
  });

  it('takes back the expected copies of a frame the AI hook dropped after it was judged (a long AI queue), and counts the drop', () => {
    const { collector, series } = setup();
    collector.onSent(sent(0, 1000), 1000);
    collector.onSent(sent(1, 1033), 1033);
    for (const sub of SUBS) collector.onReceived(receipt(1, sub, 1100, 1033), 1100);
    collector.finalise(5000); // 1:0 has no receipt anywhere yet: provisionally lost at all three
    collector.onTelemetry({ k: 'ai', f: '1:0', pub: 'P', readyMs: 1010, outcome: 'dropped', queueMs: 4500 }, 5600);
    collector.onTelemetry({ k: 'in', f: '1:0', pub: 'P', ms: 1005 }, 5600); // a late stage stamp starts no second frame
    collector.finalise(60_000, true);
    const s = series.summaries();
    expect(s['frames_dropped_ai']).toMatchObject({ count: 1 });
    expect(s['frames_lost']).toMatchObject({ count: 0 });
    expect(s['frames_sent']).toMatchObject({ count: 2 });
    expect(series.trend('ai_queue_ms')?.count).toBe(1);
    expect(collector.accounting.summary()).toMatchObject({ expected: 3, received: 3, lost: 0, holds: true });
  });

  it('counts frames a browser page reader discarded as received at the receiver, and apart', () => {
    const { collector, series } = setup();
    collector.onSent(sent(0, 1000), 1000);
    for (const sub of SUBS)
      collector.onReceived(
        { ...receipt(0, sub, 1030, 1000), ...(sub === 'B' ? { discarded: true as const } : {}) },
        1030,
      );
    collector.finalise(30_000, true);
    expect(series.summaries()['frames_discarded_reader']).toMatchObject({ count: 1 });
    expect(collector.accounting.summary()).toMatchObject({ expected: 3, received: 3, lost: 0, discardedReader: 1 });
  });

  it('holds and matches the truth over random arrival orders, delays, losses and late receipts (property)', () => {
    // a receipt reaches the harness either well inside its frame's late horizon or long after it (then it is stale
    // and the pair stays lost), so the truth is exact whatever the judging tick
    type Fate = { kind: 'lost' } | { kind: 'arrives'; latencyMs: number; harnessDelayMs: number; copies: number };
    const fate: fc.Arbitrary<Fate> = fc.oneof(
      fc.constant({ kind: 'lost' as const }),
      fc.record({
        kind: fc.constant('arrives' as const),
        latencyMs: fc.integer({ min: 1, max: 4000 }),
        harnessDelayMs: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 20_000, max: 30_000 })),
        copies: fc.integer({ min: 1, max: 2 }),
      }),
    );
    const frame = fc.record({
      sentDelayMs: fc.integer({ min: 0, max: 1500 }),
      fates: fc.array(fate, { minLength: SUBS.length, maxLength: SUBS.length }),
    });
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 200, max: 1500 }),
        (frames, tickMs) => {
          const { collector, series } = setup();
          // every record the harness hears, at the time it hears it, in any order the delays make
          const events: { atMs: number; run: () => void }[] = [];
          const truth = { expected: 0, received: 0, late: 0, lost: 0, stale: 0 };
          frames.forEach((f, seq) => {
            const captureMs = 1000 + seq * 33;
            events.push({
              atMs: captureMs + f.sentDelayMs,
              run: () => collector.onSent(sent(seq, captureMs), captureMs + f.sentDelayMs),
            });
            f.fates.forEach((fate, i) => {
              const sub = SUBS[i] as string;
              truth.expected += 1;
              if (fate.kind === 'lost') {
                truth.lost += 1;
                return;
              }
              const receivedMs = captureMs + fate.latencyMs;
              const heardMs = receivedMs + fate.harnessDelayMs;
              if (fate.harnessDelayMs >= 20_000) {
                truth.lost += 1;
                truth.stale += fate.copies;
              } else if (fate.latencyMs > LOSS_WINDOW_MS) truth.late += 1;
              else truth.received += 1;
              for (let c = 0; c < fate.copies; c += 1)
                events.push({
                  atMs: heardMs + c,
                  run: () => collector.onReceived(receipt(seq, sub, receivedMs + c, captureMs), heardMs + c),
                });
            });
          });
          const endMs = Math.max(...events.map((e) => e.atMs)) + 1;
          for (let t = 0; t <= endMs; t += tickMs)
            events.push({ atMs: t + 0.5, run: () => collector.finalise(t + 0.5) });
          events.sort((a, b) => a.atMs - b.atMs);
          for (const e of events) e.run();
          collector.finalise(endMs + 1, true);
          const a = collector.accounting.summary();
          expect(a.holds).toBe(true);
          expect({ expected: a.expected, received: a.received, late: a.late, lost: a.lost, stale: a.stale }).toEqual(
            truth,
          );
          const s = series.summaries();
          expect(s['frames_lost']).toMatchObject({ count: a.lost });
          expect(s['frames_late']).toMatchObject({ count: a.late });
          expect(s['frames_received']).toMatchObject({ count: a.received });
          expect(s['frame_loss_ratio']).toMatchObject({ count: a.expected, hits: a.lost });
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });
});
