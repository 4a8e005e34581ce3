/**
 * Trend: exact count, min, max and mean; percentiles by nearest rank from an HDR histogram, within 0.1% of the
 * exact sample and never outside [min, max]; non-finite samples are not recorded.
 */
import { describe, expect, it } from 'vitest';

import { Trend } from '../../../src/metrics/histogram.js';

/**
 * Nearest rank: the sample at rank ceil(p/100 * n) of the sorted values (p * n first: 99.9 / 100 * 5000 is
 * 4995.000000000001).
 */
function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)] as number;
}

describe('Trend', () => {
  it('reads null for every statistic and no summary before any sample', () => {
    const trend = new Trend();
    expect(trend.count).toBe(0);
    expect(trend.mean).toBeNull();
    expect(trend.min).toBeNull();
    expect(trend.max).toBeNull();
    expect(trend.percentile(50)).toBeNull();
    expect(trend.summary()).toBeNull();
  });

  it('keeps count, min, max and mean exact', () => {
    const trend = new Trend();
    for (const v of [3.25, 1.5, 10, 0.125]) trend.record(v);
    expect(trend.count).toBe(4);
    expect(trend.min).toBe(0.125);
    expect(trend.max).toBe(10);
    expect(trend.mean).toBe(14.875 / 4);
  });

  it('finds the nearest-rank sample: 1..20 has p50 10 and p95 19 (not the interpolated 10.5 and 19.05)', () => {
    const trend = new Trend();
    for (let v = 1; v <= 20; v += 1) trend.record(v);
    expect(trend.percentile(50)).toBeCloseTo(10, 1);
    expect(trend.percentile(95)).toBeCloseTo(19, 1);
    expect(trend.percentile(100)).toBe(20);
  });

  it('stays within 0.1% (plus the 1 us recording step) of the exact nearest-rank sample from 1 ms to 20 s', () => {
    const trend = new Trend();
    const values: number[] = [];
    // deterministic spread, shuffled so that recording order plays no part
    for (let i = 0; i < 5000; i += 1) values.push(Math.pow(1.002, (i * 7919) % 5000));
    for (const v of values) trend.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) {
      const exact = nearestRank(sorted, p);
      const got = trend.percentile(p) as number;
      expect(Math.abs(got - exact)).toBeLessThanOrEqual(0.001 * exact + 0.0005);
    }
  });

  it('keeps sub-millisecond detail to the microsecond', () => {
    const trend = new Trend();
    for (const v of [0.012, 0.037, 0.5]) trend.record(v);
    expect(trend.percentile(34)).toBeCloseTo(0.037, 4);
    expect(trend.percentile(33)).toBeCloseTo(0.012, 4);
  });

  it('clamps a percentile to the exact min and max (a bucket top never exceeds the largest sample)', () => {
    const trend = new Trend();
    trend.record(1.2345);
    expect(trend.percentile(1)).toBe(1.2345);
    expect(trend.percentile(50)).toBe(1.2345);
    expect(trend.percentile(99)).toBe(1.2345);
  });

  it('ignores NaN and infinities, and keeps the sign of a negative sample', () => {
    const trend = new Trend();
    trend.record(Number.NaN);
    trend.record(Number.POSITIVE_INFINITY);
    trend.record(Number.NEGATIVE_INFINITY);
    expect(trend.count).toBe(0);
    trend.record(-2);
    trend.record(4);
    expect(trend.count).toBe(2);
    expect(trend.min).toBe(-2);
    expect(trend.mean).toBe(1);
    expect(trend.percentile(50)).toBe(-2);
    expect(trend.percentile(99)).toBe(4);
  });

  it('reads signed percentiles by nearest rank on both sides of zero (av_sync_ms), and merges them', () => {
    const values = Array.from({ length: 1001 }, (_, i) => i - 400.5); // -400.5 .. 600.5
    const whole = new Trend();
    const left = new Trend();
    const right = new Trend();
    for (const [i, v] of values.entries()) {
      whole.record(v);
      (i % 2 === 0 ? left : right).record(v);
    }
    const merged = new Trend();
    merged.merge(left.state());
    merged.merge(right.state());
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 25, 40, 50, 75, 95, 99]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
      for (const t of [whole, merged]) {
        const got = t.percentile(p) as number;
        expect(Math.sign(got)).toBe(Math.sign(exact));
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(Math.abs(exact) * 0.001 + 0.001);
      }
    }
    expect(merged.min).toBe(-400.5);
    expect(merged.count).toBe(1001);
  });

  it('records values beyond an hour (auto-resize) without losing the maximum', () => {
    const trend = new Trend();
    trend.record(1);
    trend.record(7_200_000);
    expect(trend.percentile(100)).toBe(7_200_000);
    expect(trend.percentile(99)).toBeGreaterThan(7_190_000);
  });

  it('summarises in the unit recorded, rounded to 3 decimals', () => {
    const trend = new Trend();
    for (const v of [1.00049, 2, 3]) trend.record(v);
    const summary = trend.summary();
    expect(summary).toMatchObject({ count: 3, min: 1, max: 3, mean: 2 });
    expect(summary?.p50).toBeCloseTo(2, 2);
    expect(summary?.p99).toBe(3);
  });
});

describe('Trend.merge', () => {
  it("adds another process's samples exactly as if recorded here", () => {
    const a = new Trend();
    const b = new Trend();
    const all = new Trend();
    for (let i = 0; i < 1000; i++) {
      a.record(i / 10);
      all.record(i / 10);
    }
    for (let i = 0; i < 500; i++) {
      b.record(100 + i);
      all.record(100 + i);
    }
    const merged = new Trend();
    merged.merge(JSON.parse(JSON.stringify(a.state())));
    merged.merge(JSON.parse(JSON.stringify(b.state())));
    merged.merge(new Trend().state());
    expect(merged.summary()).toEqual(all.summary());
  });
});

describe('signed Trend (av_sync_ms)', () => {
  it('finds nearest-rank percentiles across negative and positive samples, within 0.1%', () => {
    const trend = new Trend();
    const values = Array.from({ length: 401 }, (_, i) => (i - 250) * 0.37);
    for (const v of [...values].reverse()) trend.record(v);
    for (const p of [1, 10, 50, 62, 63, 90, 99]) {
      const exact = nearestRank(values, p);
      expect(Math.abs((trend.percentile(p) as number) - exact)).toBeLessThanOrEqual(Math.abs(exact) * 0.001 + 0.001);
    }
    expect(trend.percentile(50)).toBeLessThan(0);
    expect(trend.min).toBeCloseTo(-92.5, 6);
  });

  it('keeps its negative samples through state() and merge', () => {
    const a = new Trend();
    const b = new Trend();
    const all = new Trend();
    for (let i = 0; i < 300; i += 1) {
      a.record(-1 - i);
      all.record(-1 - i);
      b.record(i / 2);
      all.record(i / 2);
    }
    const merged = new Trend();
    merged.merge(JSON.parse(JSON.stringify(a.state())));
    merged.merge(JSON.parse(JSON.stringify(b.state())));
    expect(merged.summary()).toEqual(all.summary());
    expect(merged.summary()?.p50).toBeLessThan(0);
  });
});
