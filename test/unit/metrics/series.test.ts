/**
 * MetricSeries: a sample reaches the unfiltered series and every threshold's tag filter it matches; counters,
 * trends and Rates aggregate as the thresholds read them; summaries cover the unfiltered series only.
 */
import { describe, expect, it } from 'vitest';

import type { ThresholdSpec } from '../../../src/budgets/types.js';
import { MetricSeries } from '../../../src/metrics/series.js';

function threshold(metric: string, tags: Record<string, string>): ThresholdSpec {
  return {
    key: metric,
    metric,
    tags,
    expression: { source: 'p(95)<100', aggregation: { kind: 'percentile', percentile: 95 }, operator: '<', value: 100 },
    abortOnFail: false,
    delayAbortEvalMs: 0,
  };
}

describe('MetricSeries', () => {
  it('sends a trend sample to the unfiltered series and to each filter whose every tag matches', () => {
    const series = new MetricSeries([
      threshold('frame_latency_ms', { room: 'r1' }),
      threshold('frame_latency_ms', { room: 'r1', publisher: 'p2' }),
    ]);
    series.record('frame_latency_ms', 10, { room: 'r1', publisher: 'p1' });
    series.record('frame_latency_ms', 20, { room: 'r1', publisher: 'p2' });
    series.record('frame_latency_ms', 40, { room: 'r2', publisher: 'p2' });

    const all = series.values('frame_latency_ms', {});
    const room = series.values('frame_latency_ms', { room: 'r1' });
    const both = series.values('frame_latency_ms', { publisher: 'p2', room: 'r1' }); // key order does not matter
    expect(all.value({ kind: 'count' })).toBe(3);
    expect(all.value({ kind: 'max' })).toBe(40);
    expect(room.value({ kind: 'count' })).toBe(2);
    expect(room.value({ kind: 'avg' })).toBe(15);
    expect(room.value({ kind: 'min' })).toBe(10);
    expect(both.value({ kind: 'count' })).toBe(1);
    expect(both.value({ kind: 'med' })).toBe(20);
  });

  it('a sample missing a filtered tag does not match that filter', () => {
    const series = new MetricSeries([threshold('frame_latency_ms', { room: 'r1' })]);
    series.record('frame_latency_ms', 5, {});
    expect(series.values('frame_latency_ms', { room: 'r1' }).value({ kind: 'count' })).toBe(0);
    expect(series.values('frame_latency_ms', {}).value({ kind: 'count' })).toBe(1);
  });

  it('a trend without samples reads null for every statistic, and a percentile by nearest rank once it has some', () => {
    const series = new MetricSeries();
    const values = series.values('uplink_ms', {});
    for (const kind of ['avg', 'min', 'max', 'med'] as const) expect(values.value({ kind })).toBeNull();
    expect(values.value({ kind: 'percentile', percentile: 95 })).toBeNull();
    for (let ms = 1; ms <= 20; ms += 1) series.record('uplink_ms', ms, {});
    expect(values.value({ kind: 'percentile', percentile: 95 })).toBeCloseTo(19, 1);
    expect(values.value({ kind: 'count' })).toBe(20);
  });

  it("a counter's rate is per second of the measured window, null before the window is known", () => {
    const series = new MetricSeries([threshold('frames_lost', { room: 'r1' })]);
    series.add('frames_lost', { room: 'r1' }, 3);
    series.add('frames_lost', { room: 'r2' });
    expect(series.values('frames_lost', {}).value({ kind: 'count' })).toBe(4);
    expect(series.values('frames_lost', {}).value({ kind: 'rate' })).toBeNull();
    // values() reads the window when it is asked for, so ask again once the window is set
    series.windowMs = 2000;
    const all = series.values('frames_lost', {});
    expect(all.value({ kind: 'rate' })).toBe(2);
    expect(series.values('frames_lost', { room: 'r1' }).value({ kind: 'rate' })).toBe(1.5);
    // a counter has no distribution
    expect(all.value({ kind: 'avg' })).toBeNull();
  });

  it("a Rate's rate is its share of yeses, whatever the window, and null without samples", () => {
    const series = new MetricSeries();
    const loss = series.values('frame_loss_ratio', {});
    expect(loss.value({ kind: 'rate' })).toBeNull();
    series.windowMs = 10_000;
    series.rate('frame_loss_ratio', true, {});
    for (let i = 0; i < 3; i += 1) series.rate('frame_loss_ratio', false, {});
    expect(loss.value({ kind: 'count' })).toBe(4);
    expect(loss.value({ kind: 'rate' })).toBe(0.25);
  });

  it('a filter first asked for by values() starts empty: it counts only samples recorded after it', () => {
    const series = new MetricSeries();
    series.add('frames_sent', { room: 'r1' });
    const room = series.values('frames_sent', { room: 'r1' });
    expect(room.value({ kind: 'count' })).toBe(0);
    series.add('frames_sent', { room: 'r1' });
    expect(room.value({ kind: 'count' })).toBe(1);
    expect(series.values('frames_sent', {}).value({ kind: 'count' })).toBe(2);
  });

  it('ignores samples of a metric that is not in the catalogue', () => {
    const series = new MetricSeries();
    // a misspelt name is a type error; the runtime guard is for names that come from files (summary.json)
    // @ts-expect-error not a metric
    series.record('no_such_metric_ms', 1, {});
    // @ts-expect-error not a metric
    series.add('no_such_metric_ms', {});
    // @ts-expect-error not a metric
    expect(series.trend('no_such_metric_ms')).toBeUndefined();
    expect(series.summaries()['no_such_metric_ms']).toBeUndefined();
  });

  it('summarises every counter and Rate, and only the trends that have samples, from the unfiltered series', () => {
    const series = new MetricSeries([threshold('frames_received', { room: 'r1' })]);
    series.windowMs = 3000;
    series.add('frames_received', { room: 'r1' }, 10);
    series.rate('frame_loss_ratio', true, {});
    series.rate('frame_loss_ratio', false, {});
    series.rate('frame_loss_ratio', false, {});
    series.record('frame_latency_ms', 12, {});
    const summaries = series.summaries();
    expect(summaries['frames_received']).toEqual({ count: 10, rate: 3.333 });
    expect(summaries['frames_lost']).toEqual({ count: 0, rate: 0 });
    expect(summaries['frame_loss_ratio']).toEqual({ count: 3, hits: 1, rate: 0.333333 });
    expect(summaries['frame_latency_ms']).toMatchObject({ count: 1, min: 12, max: 12, p50: 12 });
    expect(summaries['uplink_ms']).toBeUndefined();
  });

  it('a counter summary reads rate 0 (not null) before the window is known, a Rate without samples reads null', () => {
    const summaries = new MetricSeries().summaries();
    expect(summaries['frames_sent']).toEqual({ count: 0, rate: 0 });
    expect(summaries['frame_loss_ratio']).toEqual({ count: 0, hits: 0, rate: null });
  });
});
