import { describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../../src/metrics/histogram.js';
import { mergeTrendSummaries } from '../../../src/report/merge-metrics.js';
import { mergeShards } from '../../../src/report/shard-merge.js';

type Row = Record<string, unknown>;

const trend = (count: number, min: number, mean: number, p50: number, p95: number, max: number): Row => ({
  count,
  min,
  mean,
  p50,
  p90: p95,
  p95,
  p99: max,
  max,
});

/** The summary points one shard writes (InfluxDB rows: tags and fields side by side). */
function summaryRows(shard: string, saturated: boolean, metrics: Record<string, Row>): Row[] {
  return Object.entries(metrics).map(([metric, fields]) => ({
    time: 2_000_000_000,
    testid: 't',
    shard,
    metric,
    saturated,
    status: 'passed',
    ...fields,
  }));
}

/** One shard's frame records: `frames` frames of one publisher, each at 2 receivers, latency base + frame number. */
function frames(shard: string, publisher: string, frames: number, baseMs: number, startMs: number): Row[] {
  const out: Row[] = [
    {
      shard,
      publisher,
      frameId: `${publisher}:w`,
      subscriber: 'a',
      captureMs: startMs - 500,
      frameLatencyMs: 999,
      warmup: true,
    },
  ];
  for (let f = 0; f < frames; f += 1) {
    for (const subscriber of ['a', 'b'])
      out.push({
        shard,
        publisher,
        frameId: `${publisher}:${f}`,
        subscriber,
        captureMs: startMs + f * 50,
        frameLatencyMs: baseMs + f,
      });
  }
  return out;
}

describe('mergeShards', () => {
  const input = {
    summaryRows: [
      ...summaryRows('1/2', true, {
        frames_lost: { count: 3, rate: 0.3 },
        frame_loss_ratio: { count: 200, hits: 3, rate: 0.015 },
        frame_latency_ms: trend(20, 10, 14.5, 14, 19, 19),
        cpu_pct: trend(30, 5, 40, 38, 90, 99),
        fps_received: trend(2, 19, 19.5, 19, 20, 20),
        jitter_ms: trend(2, 1, 1.5, 1, 2, 2),
        peers_active: trend(10, 3, 3, 3, 3, 3),
      }),
      ...summaryRows('2/2', false, {
        frames_lost: { count: 1, rate: 0.1 },
        frame_loss_ratio: { count: 600, hits: 1, rate: 0.001667 },
        frame_latency_ms: trend(20, 100, 104.5, 104, 109, 109),
        cpu_pct: trend(10, 1, 20, 18, 30, 35),
        fps_received: trend(2, 29, 29.5, 29, 30, 30),
        jitter_ms: trend(2, 5, 5.5, 5, 6, 6),
        peers_active: trend(10, 6, 6, 6, 6, 6),
      }),
    ],
    records: [...frames('1/2', 'r1-pub-1', 10, 10, 10_000), ...frames('2/2', 'r2-pub-1', 10, 100, 10_000)],
    // each shard: one stats sample in its warm-up (left out), two in the measured window
    webrtcRows: [
      { time: 9_000_000, shard: '1/2', jitter_ms: 50 },
      { time: 10_500_000, shard: '1/2', jitter_ms: 1 },
      { time: 11_500_000, shard: '1/2', jitter_ms: 2 },
      { time: 9_000_000, shard: '2/2', jitter_ms: 70 },
      { time: 10_500_000, shard: '2/2', jitter_ms: 5 },
      { time: 11_500_000, shard: '2/2', jitter_ms: 6 },
    ],
    processRows: [
      {
        shard: '1/2',
        process: 'runner-1',
        samples: 30,
        cpu_pct_mean: 95,
        cpu_pct_max: 99,
        over_saturation_share: 0.8,
        rss_mb_max: 120,
      },
      {
        shard: '2/2',
        process: 'runner-1',
        samples: 10,
        cpu_pct_mean: 20,
        cpu_pct_max: 35,
        over_saturation_share: 0,
        rss_mb_max: 100,
      },
    ],
  };

  it('ORs saturated: one starved shard makes the merged run saturated, and the notes say which', () => {
    const merged = mergeShards(input);
    expect(merged.saturated).toBe(true);
    expect(merged.notes.join('\n')).toMatch(/shard 1\/2 saturated/);
    expect(
      mergeShards({ ...input, summaryRows: input.summaryRows.map((r) => ({ ...r, saturated: false })) }).saturated,
    ).toBe(false);
  });

  it('sums counters and Rates (count and hits, the fraction computed again)', () => {
    const { metrics } = mergeShards(input);
    expect(metrics['frames_lost']).toEqual({ count: 4, rate: 0.4 });
    expect(metrics['frame_loss_ratio']).toEqual({ count: 800, hits: 4, rate: 0.005 });
  });

  it("summarises frame latencies and WebRTC stats again from every shard's points, not from one shard", () => {
    const { metrics, notes } = mergeShards(input);
    // 40 measured receipts: 10..19 and 100..109 twice each; nearest-rank median is the 20th, 19
    expect(metrics['frame_latency_ms']).toMatchObject({ count: 40, min: 10, max: 109 });
    // (an HDR histogram's: the upper end of the 19 ms bucket, within 0.1%)
    expect((metrics['frame_latency_ms'] as TrendSummary).p50).toBeGreaterThanOrEqual(19);
    expect((metrics['frame_latency_ms'] as TrendSummary).p50).toBeLessThanOrEqual(19 * 1.001);
    // warm-up stats left out by each shard's first measured frame: 1, 2, 5, 6
    expect(metrics['jitter_ms']).toMatchObject({ count: 4, min: 1, max: 6, p50: 2 });
    expect(notes.join('\n')).not.toMatch(/jitter_ms: \d+ WebRTC samples/);
    // a shard that flags its warm-up stats is read by the flag (here: only the 11.5 s sample is measured)
    const flagged = mergeShards({
      ...input,
      webrtcRows: input.webrtcRows.map((r) =>
        r.shard === '2/2' && r.time !== 11_500_000 ? { ...r, warmup: true } : r,
      ),
    });
    expect(flagged.metrics['jitter_ms']).toMatchObject({ count: 3, max: 6 });
    expect(flagged.notes.join('\n')).toMatch(
      /jitter_ms: 3 WebRTC samples from InfluxDB, the shards' summaries counted 4/,
    );
  });

  it('merges trends without samples from the summaries and says their percentiles are bounds', () => {
    const { metrics, notes } = mergeShards(input);
    // count-weighted mean (30 x 40 + 10 x 20) / 40 = 35; min of mins, max of maxes; p95 the larger
    expect(metrics['cpu_pct']).toEqual({ count: 40, min: 1, mean: 35, p50: 38, p90: 90, p95: 90, p99: 99, max: 99 });
    expect(metrics['fps_received']).toMatchObject({ count: 4, min: 19, max: 30, mean: 24.5 });
    expect(notes.join('\n')).toMatch(
      /cpu_pct, fps_received: merged from the shards' summaries .* an upper bound \(percentiles cannot be merged/,
    );
    // peers connected in each shard at the same moments add up
    expect(metrics['peers_active']).toMatchObject({ mean: 9, max: 9 });
  });

  it("keeps each shard's processes apart", () => {
    expect(Object.keys(mergeShards(input).processes)).toEqual(['runner-1-shard1', 'runner-1-shard2']);
  });

  it('a run without shards is copied as it was summarised', () => {
    const single = mergeShards({
      summaryRows: summaryRows('', true, { cpu_pct: trend(30, 5, 40, 38, 90, 99) }).map((r) => ({
        ...r,
        shard: undefined,
      })),
      records: [],
      webrtcRows: [],
      processRows: [],
    });
    expect(single).toMatchObject({ sharded: false, saturated: true, notes: [] });
    expect(single.metrics['cpu_pct']).toEqual({
      count: 30,
      min: 5,
      mean: 40,
      p50: 38,
      p90: 90,
      p95: 90,
      p99: 99,
      max: 99,
    });
  });
});

describe('mergeTrendSummaries', () => {
  it('puts the pooled nearest-rank percentile under the bound it reports', () => {
    const a = Array.from({ length: 30 }, (_, i) => i);
    const b = Array.from({ length: 10 }, (_, i) => 100 + i);
    const summary = (v: number[]): TrendSummary => {
      const s = [...v].sort((x, y) => x - y);
      const at = (q: number): number => s[Math.ceil(q * s.length) - 1] as number;
      return {
        count: s.length,
        min: s[0] as number,
        mean: s.reduce((x, y) => x + y) / s.length,
        p50: at(0.5),
        p90: at(0.9),
        p95: at(0.95),
        p99: at(0.99),
        max: s[s.length - 1] as number,
      };
    };
    const merged = mergeTrendSummaries([summary(a), summary(b)]);
    const pooled = summary([...a, ...b]);
    expect(merged?.bounded).toBe(true);
    for (const key of ['p50', 'p90', 'p95', 'p99'] as const)
      expect(pooled[key]).toBeLessThanOrEqual(merged?.summary[key] as number);
    expect(merged?.summary.mean).toBe(Math.round(pooled.mean * 1000) / 1000);
  });
});
