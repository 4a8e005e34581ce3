import { describe, expect, it } from 'vitest';

import {
  compareRuns,
  comparisonJunit,
  comparisonMarkdown,
  DEFAULT_COMPARE_OPTIONS,
  parseTolerance,
} from '../../../src/compare/compare.js';
import type { RunSamples } from '../../../src/compare/samples.js';
import { SampleSink } from '../../../src/compare/samples.js';
import { bootstrapQuantileDelta, quantile, seededRandom, sortedCopy } from '../../../src/compare/stats.js';
import type { MetricName } from '../../../src/metrics/catalogue.js';

/** n log-normal-ish latencies around `median` ms from a seeded generator */
function latencies(n: number, median: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => median * Math.exp(0.3 * (random() + random() + random() - 1.5)));
}

function run(id: string, values: Partial<Record<MetricName, number[]>>, scenario = 's'): RunSamples {
  // every value its own frame: these runs have one receiver per frame
  const entries = Object.entries(values) as [MetricName, number[]][];
  const clusters = new Map(entries.map(([metric, list]) => [metric, list.map((_, i) => i)]));
  return { source: id, runId: id, scenario, status: 'passed', startedAt: '', values: new Map(entries), clusters };
}

describe('compare statistics', () => {
  it('quantiles are nearest rank, and the bootstrap interval is reproducible and covers the true shift', () => {
    expect(quantile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2);
    expect(quantile(Float64Array.from([10]), 0.95)).toBe(10);
    expect(Number.isNaN(quantile(new Float64Array(0), 0.5))).toBe(true);
    const base = { values: sortedCopy(latencies(3000, 20, 1)) };
    const cand = { values: sortedCopy(latencies(3000, 20, 2).map((v) => v + 8)) };
    const a = bootstrapQuantileDelta(base, cand, 0.5);
    expect(bootstrapQuantileDelta(base, cand, 0.5)).toEqual(a);
    expect(a.lo).toBeLessThan(8);
    expect(a.hi).toBeGreaterThan(8);
    expect(a.lo).toBeGreaterThan(6);
  });
});

describe('compareRuns', () => {
  it('flags a worsening beyond the tolerance whose interval excludes zero, and nothing between samples of one distribution', () => {
    const baseline = run('base', { frame_latency_ms: latencies(2000, 12, 1), sfu_ms: latencies(2000, 0.3, 3) });
    const same = run('same', { frame_latency_ms: latencies(2000, 12, 2), sfu_ms: latencies(2000, 0.3, 4) });
    const slower = run('slow', {
      frame_latency_ms: latencies(2000, 12, 5).map((v) => v + 30),
      sfu_ms: latencies(2000, 0.3, 6).map((v) => v + 2),
    });
    expect(compareRuns(baseline, same).regressions).toEqual([]);
    const c = compareRuns(baseline, slower);
    // sfu_ms rose by 2 ms: real (its interval excludes zero) but inside the 5 ms tolerance
    expect(c.regressions).toEqual(['frame_latency_ms']);
    const row = c.metrics.find((m) => m.metric === 'frame_latency_ms');
    expect(row?.p50?.delta).toBeGreaterThan(28);
    expect(row?.p50?.lo).toBeGreaterThan(0);
    expect(c.metrics.find((m) => m.metric === 'sfu_ms')?.verdict).toBe('no change');
    // a tighter tolerance for sfu_ms makes its 2 ms count
    const tight = compareRuns(baseline, slower, {
      ...DEFAULT_COMPARE_OPTIONS,
      tolerances: { sfu_ms: { pct: 5, abs: 1 } },
    });
    expect(tight.regressions.sort()).toEqual(['frame_latency_ms', 'sfu_ms']);
    expect(compareRuns(slower, baseline).metrics.find((m) => m.metric === 'frame_latency_ms')?.verdict).toBe(
      'improvement',
    );
    expect(comparisonMarkdown(c)).toMatch(/\*\*Regression\*\* in `frame_latency_ms`/);
    expect(comparisonJunit(c)).toMatch(/<testcase classname="glassbench.compare" name="frame_latency_ms"><failure/);
  });

  it('judges a metric the catalogue says is better higher the other way round: a fall is the regression', () => {
    const baseline = run('base', { fps_received: latencies(2000, 30, 11) });
    const fewer = run('fewer', { fps_received: latencies(2000, 30, 12).map((v) => v - 10) });
    expect(compareRuns(baseline, fewer).regressions).toEqual(['fps_received']);
    expect(compareRuns(fewer, baseline).metrics[0]?.verdict).toBe('improvement');
  });

  it('judges av_sync_ms by its distance from zero: audio drifting early is a regression too', () => {
    const base = run('a', { av_sync_ms: latencies(400, 20, 31) });
    const early = run('b', { av_sync_ms: latencies(400, 20, 32).map((v) => v - 120) }); // about -100 ms
    const late = run('c', { av_sync_ms: latencies(400, 20, 33).map((v) => v + 80) });
    expect(compareRuns(base, early).regressions).toEqual(['av_sync_ms']);
    expect(compareRuns(base, late).regressions).toEqual(['av_sync_ms']);
    expect(compareRuns(early, base).metrics[0]?.verdict).toBe('improvement');
  });

  it("takes a unit-scale metric's tolerance from the catalogue: an SSIM drop of 0.1 is a regression", () => {
    const ssim = (seed: number, shift: number): number[] =>
      latencies(400, 0.1, seed).map((v) => Math.min(1, 0.95 - v / 10 - shift));
    const c = compareRuns(run('a', { video_ssim: ssim(41, 0) }), run('b', { video_ssim: ssim(42, 0.1) }));
    expect(c.metrics[0]?.tolerance).toEqual({ pct: 1, abs: 0.01 });
    expect(c.regressions).toEqual(['video_ssim']);
  });

  it('gates the median by default and the p95 only when asked', () => {
    const baseline = run('base', { frame_latency_ms: latencies(3000, 12, 7) });
    // the slowest 10% of frames got 40 ms slower: the median does not move, the p95 does
    const tail = run('tail', { frame_latency_ms: latencies(3000, 12, 8).map((v, i) => (i % 10 === 0 ? v + 40 : v)) });
    const byDefault = compareRuns(baseline, tail);
    expect(byDefault.regressions).toEqual([]);
    expect(byDefault.metrics[0]?.p95?.delta).toBeGreaterThan(20);
    expect(compareRuns(baseline, tail, { ...DEFAULT_COMPARE_OPTIONS, gate: ['p50', 'p95'] }).regressions).toEqual([
      'frame_latency_ms',
    ]);
  });

  it('does not judge metrics with too few samples', () => {
    const c = compareRuns(run('a', { asr_ms: [2000, 2100] }), run('b', { asr_ms: [9000, 9100] }));
    expect(c.metrics[0]?.verdict).toBe('too few samples');
    expect(c.regressions).toEqual([]);
  });

  it('reads tolerances as metric=PCT%,ABS and refuses anything else', () => {
    expect(parseTolerance('frame_latency_ms=10%,3', { pct: 5, abs: 5 })).toEqual({
      metric: 'frame_latency_ms',
      tolerance: { pct: 10, abs: 3 },
    });
    expect(parseTolerance('sfu_ms=2ms', { pct: 5, abs: 5 })).toEqual({
      metric: 'sfu_ms',
      tolerance: { pct: 5, abs: 2 },
    });
    expect(() => parseTolerance('sfu_ms=lots', { pct: 5, abs: 5 })).toThrow(/neither a percentage/);
    expect(() => parseTolerance('nonsense', { pct: 5, abs: 5 })).toThrow(/expected metric=/);
  });

  it('takes per-frame AI times once per frame and leaves warm-up records out', () => {
    const sink = new SampleSink();
    const frame = { frameId: '1:1', publisher: 'p', frameLatencyMs: 10, aiHookMs: 21, aiStagesMs: { inference: 20 } };
    sink.push(frame);
    sink.push({ ...frame, subscriber: 'other', frameLatencyMs: 11 });
    sink.push({ ...frame, frameId: '1:0', frameLatencyMs: 99, warmup: true });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 1900, s2sLatencyMs: 2400 });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 1900, s2sLatencyMs: 2450 });
    expect(Object.fromEntries(sink.values)).toEqual({
      frame_latency_ms: [10, 11],
      ai_hook_ms: [21],
      ai_inference_ms: [20],
      asr_ms: [1900],
      s2s_latency_ms: [2400, 2450],
    });
  });
});
