import { describe, expect, it } from 'vitest';

import { compare, evaluateThreshold } from '../../../src/budgets/evaluate.js';
import { parseThresholdExpression } from '../../../src/budgets/parse.js';
import type { ThresholdSpec } from '../../../src/budgets/types.js';
import { MetricSeries } from '../../../src/metrics/series.js';

function spec(metric: string, source: string, tags: Record<string, string> = {}): ThresholdSpec {
  return {
    key: metric,
    metric,
    tags,
    expression: parseThresholdExpression(source),
    abortOnFail: false,
    delayAbortEvalMs: 0,
  };
}

describe('evaluateThreshold', () => {
  it('compares with every operator', () => {
    expect(compare(1, '<', 2)).toBe(true);
    expect(compare(2, '<', 2)).toBe(false);
    expect(compare(2, '<=', 2)).toBe(true);
    expect(compare(3, '>', 2)).toBe(true);
    expect(compare(2, '>=', 3)).toBe(false);
    expect(compare(2, '==', 2)).toBe(true);
    expect(compare(2, '!=', 2)).toBe(false);
  });

  it('evaluates percentiles of a trend, per tag filter', () => {
    const s = spec('frame_latency_ms', 'p(50)<15', { room: 'r2' });
    const series = new MetricSeries([s]);
    for (let i = 1; i <= 100; i += 1) {
      series.record('frame_latency_ms', i, { room: 'r1' });
      series.record('frame_latency_ms', i / 10, { room: 'r2' });
    }
    const filtered = evaluateThreshold(s, series.values('frame_latency_ms', { room: 'r2' }));
    expect(filtered.ok).toBe(true);
    expect(filtered.actual).toBeCloseTo(5, 1);
    // unfiltered, the median is about 9 (all of r2 and r1's 1..10 lie below it)
    const all = evaluateThreshold(spec('frame_latency_ms', 'p(50)<6'), series.values('frame_latency_ms', {}));
    expect(all.ok).toBe(false);
  });

  it('fails a trend threshold with no samples instead of passing it', () => {
    const series = new MetricSeries();
    const result = evaluateThreshold(spec('frame_latency_ms', 'p(95)<400'), series.values('frame_latency_ms', {}));
    expect(result).toMatchObject({ ok: false, actual: null });
  });

  it('evaluates counter count and rate over the measured window', () => {
    const series = new MetricSeries();
    series.add('frames_lost', { room: 'r1' }, 6);
    series.windowMs = 3000;
    expect(evaluateThreshold(spec('frames_lost', 'count==6'), series.values('frames_lost', {})).ok).toBe(true);
    expect(evaluateThreshold(spec('frames_lost', 'rate<2'), series.values('frames_lost', {})).actual).toBe(2);
  });
});

describe('Rate thresholds (k6 Rate: a fraction of yes samples)', () => {
  it('frame_loss_ratio rate<0.01 is under 1% of the expected frames, per tag filter too', () => {
    const filtered = spec('frame_loss_ratio', 'rate<0.01', { room: 'r2' });
    const r1Spec = spec('frame_loss_ratio', 'rate<0.01', { room: 'r1' });
    const series = new MetricSeries([filtered, r1Spec]);
    // room r1: 5 of 1000 lost (0.5%); room r2: 20 of 1000 lost (2%)
    for (let i = 0; i < 1000; i += 1) {
      series.rate('frame_loss_ratio', i < 5, { room: 'r1' });
      series.rate('frame_loss_ratio', i < 20, { room: 'r2' });
    }
    const r1 = evaluateThreshold(r1Spec, series.values('frame_loss_ratio', { room: 'r1' }));
    expect(r1).toMatchObject({ ok: true, actual: 0.005 });
    expect(evaluateThreshold(filtered, series.values('frame_loss_ratio', { room: 'r2' }))).toMatchObject({
      ok: false,
      actual: 0.02,
      tags: { room: 'r2' },
    });
    // both rooms: 25 of 2000
    expect(
      evaluateThreshold(spec('frame_loss_ratio', 'rate<0.01'), series.values('frame_loss_ratio', {})),
    ).toMatchObject({ ok: false, actual: 0.0125 });
    expect(evaluateThreshold(spec('frame_loss_ratio', 'count==2000'), series.values('frame_loss_ratio', {})).ok).toBe(
      true,
    );
    expect(series.summaries()['frame_loss_ratio']).toEqual({ count: 2000, hits: 25, rate: 0.0125 });
  });

  it('fails a Rate threshold with no samples (nothing expected is not 0% lost)', () => {
    const series = new MetricSeries();
    expect(
      evaluateThreshold(spec('frame_loss_ratio', 'rate<0.01'), series.values('frame_loss_ratio', {})),
    ).toMatchObject({ ok: false, actual: null });
  });
});
