import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { compareRuns } from '../../../src/compare/compare.js';
import { quantile, seededRandom, sortedCopy } from '../../../src/compare/stats.js';
import type { MetricName } from '../../../src/metrics/catalogue.js';
import { Trend } from '../../../src/metrics/histogram.js';
import { reportData } from '../../../src/report/report-data.js';

const oneToTen = Float64Array.from({ length: 10 }, (_, i) => i + 1);

describe('one percentile definition: nearest rank', () => {
  it('is the smallest sample with at least p% of the samples at or below it (interpolation would say 2.5, 9.55, 9.1)', () => {
    expect(quantile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2);
    expect(quantile(oneToTen, 0.95)).toBe(10);
    expect(quantile(oneToTen, 0.9)).toBe(9);
    expect(quantile(oneToTen, 0)).toBe(1);
    expect(quantile(oneToTen, 1)).toBe(10);
    // 0.07 * 100 is 7.000000000000001 in floating point: still the 7th sample
    expect(
      quantile(
        Float64Array.from({ length: 100 }, (_, i) => i + 1),
        0.07,
      ),
    ).toBe(7);
  });

  it('the HDR histogram of the summary and thresholds agrees with it within 0.1%', () => {
    const random = seededRandom(11);
    const values = Array.from({ length: 5000 }, () => 40 * Math.exp(1.2 * (random() + random() + random() - 1.5)));
    const trend = new Trend();
    for (const v of values) trend.record(v);
    const sorted = sortedCopy(values);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) {
      const exact = quantile(sorted, p / 100);
      // HDR reports the upper end of the exact value's bucket (3 significant digits), values kept to 1 µs
      expect(Math.abs((trend.percentile(p) as number) - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.001);
    }
    const small = new Trend();
    for (const v of [1, 2, 3, 4]) small.record(v);
    expect(small.percentile(50)).toBe(2);
  });

  it('compare reports nearest-rank medians and p95s', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    const run = {
      source: 'a',
      runId: 'a',
      scenario: 's',
      status: 'passed',
      startedAt: '',
      values: new Map<MetricName, number[]>([['frame_latency_ms', values]]),
      clusters: new Map<MetricName, number[]>([['frame_latency_ms', values.map((_, i) => i)]]),
    };
    const row = compareRuns(run, { ...run, source: 'b', runId: 'b' }).metrics[0];
    expect(row?.p50?.baseline).toBe(10);
    expect(row?.p95?.baseline).toBe(19);
  });

  describe('report.html', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gb-percentile-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('draws nearest-rank percentiles in the waterfall, per second and in the CDF table', async () => {
      const startMs = Date.parse('2026-01-01T00:00:00.000Z');
      const summary = {
        runId: 'r',
        status: 'passed',
        saturated: false,
        notes: [],
        scenario: { name: 's' },
        startedAt: new Date(startMs).toISOString(),
        thresholds: {},
        processes: {},
        metrics: {},
      };
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
      const records = [1, 2, 3, 4].map((ms, i) =>
        JSON.stringify({
          frameId: `1:${i}`,
          publisher: 'p',
          receivedMs: startMs + 100 + i,
          frameLatencyMs: ms,
          uplinkMs: ms,
        }),
      );
      writeFileSync(join(dir, 'frames.ndjson.gz'), gzipSync(`${records.join('\n')}\n`));
      const data = await reportData(dir);
      const group = data.groups[0];
      expect(group?.waterfall.find((w) => w.stage === 'uplink_ms')).toEqual({ stage: 'uplink_ms', p50: 2, p95: 4 });
      expect(group?.overTime[0]?.points[0]).toEqual([0, 2, 4]);
      expect(group?.cdfs.find((c) => c.metric === 'frame_latency_ms')).toMatchObject({ p50: 2, p95: 4 });
    });
  });

  it('the Grafana dashboard uses percentile() (nearest rank in InfluxQL), never median() (which averages the middle two)', () => {
    const dashboard = readFileSync(
      join(import.meta.dirname, '../../../deploy/grafana/glassbench-dashboard.json'),
      'utf8',
    );
    const queries = [...dashboard.matchAll(/"query": "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
    expect(queries.some((q) => /percentile\(\\"uplink_ms\\", 50\)/.test(q))).toBe(true);
    for (const q of queries) expect(q).not.toMatch(/median\(/i);
  });
});
