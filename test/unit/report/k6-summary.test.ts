import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Ajv } from 'ajv';
import { K6Parser } from 'k6-to-junit';
import { describe, expect, it } from 'vitest';

import { k6SummaryOf } from '../../../src/report/k6-summary.js';
import { K6_SUMMARY_SCHEMA, k6SummaryText, readK6Summary } from '../../../src/report/k6-text.js';
import type { RunSummary } from '../../../src/report/summary.js';

const trend = { count: 200, min: 8, mean: 12.5, p50: 12, p90: 15, p95: 17, p99: 20, max: 31 };

const run = {
  durationMs: 12_345,
  metrics: {
    frame_latency_ms: trend,
    frames_received: { count: 600, rate: 60 },
    frame_loss_ratio: { count: 610, hits: 10, rate: 10 / 610 },
  },
  submetrics: { 'frame_latency_ms{room:r1}': { ...trend, count: 100, p95: 18 } },
  thresholds: {
    frame_latency_ms: [
      { expr: 'p(95)<400', ok: true, actual: 17 },
      { expr: 'p(99.9)<25', ok: false, actual: 30.5 },
    ],
    'frame_latency_ms{room:r1}': [{ expr: 'p(95)<400', ok: true, actual: 18, tags: { room: 'r1' } }],
    frame_loss_ratio: [{ expr: 'rate<0.01', ok: false, actual: 10 / 610 }],
    frames_received: [{ expr: 'count>100', ok: true, actual: 600 }],
    // a browser metric no receiver measured: it fails (summary.json: actual null)
    g2g_latency_ms: [{ expr: 'p(95)<400', ok: false, actual: null }],
  },
} as unknown as RunSummary;

/** What k6 (v0.4x) writes with `handleSummary(data) { return { 'summary.json': JSON.stringify(data) } }`. */
const fromK6 = {
  root_group: {
    name: '',
    path: '',
    id: 'd41d8cd98f00b204e9800998ecf8427e',
    groups: [],
    checks: [
      { name: 'status is 200', path: '::status is 200', id: '548d37ca5f33793206f7832e7cea54fb', passes: 45, fails: 0 },
    ],
  },
  options: { summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'], summaryTimeUnit: '', noColor: false },
  state: { isStdOutTTY: true, isStdErrTTY: true, testRunDurationMs: 6858.6 },
  metrics: {
    http_req_duration: {
      type: 'trend',
      contains: 'time',
      values: { avg: 140.3, min: 119.1, med: 140.9, max: 154.6, 'p(90)': 146.9, 'p(95)': 148.2 },
      thresholds: { 'p(95)<1500': { ok: true } },
    },
    'http_req_duration{expected_response:true}': {
      type: 'trend',
      contains: 'time',
      values: { avg: 140.3, min: 119.1, med: 140.9, max: 154.6, 'p(90)': 146.9, 'p(95)': 148.2 },
    },
    http_reqs: { type: 'counter', contains: 'default', values: { count: 45, rate: 6.56 } },
    checks: { type: 'rate', contains: 'default', values: { rate: 1, passes: 45, fails: 0 } },
    vus: { type: 'gauge', contains: 'default', values: { value: 1, min: 1, max: 1 } },
    data_received: { type: 'counter', contains: 'data', values: { count: 519000, rate: 75672 } },
  },
};

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(K6_SUMMARY_SCHEMA);

describe('k6 summary export', () => {
  it('has the shape k6 documents, as a file k6 wrote has', () => {
    expect(validate(fromK6), JSON.stringify(validate.errors)).toBe(true);
    const data = k6SummaryOf(run);
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    // the shape is checked for real: a k6 file with a trend without its statistics is refused
    const broken = structuredClone(fromK6) as { metrics: Record<string, { values: Record<string, number> }> };
    delete broken.metrics['http_reqs']?.values['rate'];
    expect(validate(broken)).toBe(false);
    expect(Object.keys(data).sort()).toEqual(['metrics', 'options', 'root_group', 'state']);
    expect(data.state.testRunDurationMs).toBe(12_345);
  });

  it("names each statistic as k6 does, with the percentiles the thresholds use and each threshold's verdict", () => {
    const { metrics, options } = k6SummaryOf(run);
    expect(metrics['frame_latency_ms']).toEqual({
      type: 'trend',
      contains: 'time',
      values: { avg: 12.5, min: 8, med: 12, max: 31, 'p(90)': 15, 'p(95)': 17, 'p(99.9)': 30.5 },
      thresholds: { 'p(95)<400': { ok: true }, 'p(99.9)<25': { ok: false } },
    });
    expect(options.summaryTrendStats).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99.9)']);
    expect(metrics['frame_latency_ms{room:r1}']?.values['p(95)']).toBe(18);
    expect(metrics['frame_latency_ms{room:r1}']?.thresholds).toEqual({ 'p(95)<400': { ok: true } });
    expect(metrics['frames_received']).toEqual({
      type: 'counter',
      contains: 'default',
      values: { count: 600, rate: 60 },
      thresholds: { 'count>100': { ok: true } },
    });
    expect(metrics['frame_loss_ratio']?.values).toEqual({ rate: 10 / 610, passes: 10, fails: 600 });
    expect(metrics['frame_loss_ratio']?.type).toBe('rate');
    // no samples: zeros, as k6 writes an empty trend, and the threshold failed
    expect(metrics['g2g_latency_ms']?.values['p(95)']).toBe(0);
    expect(metrics['g2g_latency_ms']?.thresholds).toEqual({ 'p(95)<400': { ok: false } });
  });

  it("puts a variants run's thresholds on sub-metrics tagged with the variant; a threshold holds when every round held", () => {
    const variants = {
      durationMs: 1000,
      metrics: {},
      thresholds: {
        'edge: frame_latency_ms': [
          { expr: 'p(95)<400', ok: true, actual: 17 },
          { expr: 'p(95)<400', ok: false, actual: 450 },
        ],
        'cloud: frame_latency_ms{room:r1}': [{ expr: 'max<100', ok: true, actual: 31 }],
      },
      variants: [
        { name: 'edge', metrics: { frame_latency_ms: trend } },
        { name: 'cloud', metrics: {}, submetrics: { 'frame_latency_ms{room:r1}': trend } },
      ],
    } as unknown as RunSummary;
    const { metrics } = k6SummaryOf(variants);
    expect(metrics['frame_latency_ms{variant:edge}']?.thresholds).toEqual({ 'p(95)<400': { ok: false } });
    expect(metrics['frame_latency_ms{variant:edge}']?.values['avg']).toBe(12.5);
    expect(metrics['frame_latency_ms{room:r1,variant:cloud}']?.values['max']).toBe(31);
    expect(metrics['frame_latency_ms{room:r1,variant:cloud}']?.thresholds).toEqual({ 'max<100': { ok: true } });
  });

  it('prints as the k6 text summary that k6-to-junit turns into one test case per threshold', async () => {
    const text = k6SummaryText(k6SummaryOf(run), 'k6-summary.json');
    expect(text).toMatch(/^ {2}✗ frame_latency_ms p\(99\.9\)<25\.+: p\(99\.9\)=30\.5ms$/m);
    expect(text).toMatch(/^ {4}frame_loss_ratio\.+: 1\.64% 10 out of 610$/m);
    const parser = new K6Parser();
    await parser.parse(text);
    const [suite] = parser.getTestSuites();
    expect(suite?.name).toBe('k6-summary.json');
    const verdicts = Object.fromEntries((suite?.thresholds ?? []).map((t) => [t.name, t.passed]));
    const expected = Object.fromEntries(
      Object.entries(run.thresholds).flatMap(([key, list]) => list.map((r) => [`${key} ${r.expr}`, r.ok])),
    );
    expect(verdicts).toEqual(expected);
    // k6's own file reads the same way
    const fromK6Text = k6SummaryText(fromK6 as never, 'k6.json');
    expect(fromK6Text).toMatch(/^ {2}✓ http_req_duration p\(95\)<1500\.+: p\(95\)=148\.2ms$/m);
    expect(fromK6Text).toMatch(/^ {4}vus\.+: 1 min=1 max=1$/m);
  });

  it('refuses a file that is not k6 summary data, naming the place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k6-summary-'));
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      '{\n  "root_group": {"name": "", "path": "", "id": "", "groups": [], "checks": []},\n  "options": {"summaryTrendStats": [], "summaryTimeUnit": "", "noColor": false},\n  "state": {"isStdOutTTY": false, "isStdErrTTY": false, "testRunDurationMs": 1},\n  "metrics": {"a": {"type": "histogram", "contains": "time", "values": {}}}\n}\n',
    );
    const error = (await readK6Summary(file).catch((e: unknown) => e)) as { problems: string[] };
    expect(error.problems).toContain(`${file}:5:29 metrics.a.type: must be equal to one of the allowed values`);
    await expect(readK6Summary(join(dir, 'none.json'))).rejects.toThrow(`${join(dir, 'none.json')}: file not found`);
    await writeFile(file, '{"metrics": ');
    await expect(readK6Summary(file)).rejects.toThrow('not valid YAML or JSON');
  });
});
