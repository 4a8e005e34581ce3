/**
 * `glassbench summary-text FILE`: a k6 end-of-test summary file (glassbench's `--summary-export`, or k6's own
 * `handleSummary` JSON) checked against the shape k6 documents, and printed as k6's classic text summary, which
 * tools that read k6's console (k6-to-junit, CI annotations) parse. One `✓`/`✗` line per threshold, named
 * `<metric> <expression>` as glassbench's junit.xml names its cases (k6 marks the metric's line once for all its
 * thresholds); then every metric's line, unmarked.
 */
import { Ajv, type ErrorObject } from 'ajv';

import { GlassbenchError } from '../errors.js';
import { formatPath, loadScenarioFile, pathOf, type PathSegment } from '../scenario/load.js';
import type { K6Metric, K6Summary } from './k6-summary.js';

const number = { type: 'number' } as const;
const check = {
  type: 'object',
  required: ['name', 'path', 'id', 'passes', 'fails'],
  properties: {
    name: { type: 'string' },
    path: { type: 'string' },
    id: { type: 'string' },
    passes: number,
    fails: number,
  },
} as const;
/** requires these statistics of a metric of this type */
const statsOf = (type: string, names: string[]): object => ({
  if: { type: 'object', required: ['type'], properties: { type: { const: type } } },
  then: {
    type: 'object',
    properties: {
      values: { type: 'object', required: names, properties: Object.fromEntries(names.map((n) => [n, number])) },
    },
  },
});

/** The summary data k6 documents for `handleSummary` (k6 adds keys over versions: unknown keys are allowed). */
export const K6_SUMMARY_SCHEMA = {
  type: 'object',
  required: ['root_group', 'options', 'state', 'metrics'],
  $defs: {
    group: {
      type: 'object',
      required: ['name', 'path', 'id', 'groups', 'checks'],
      properties: {
        name: { type: 'string' },
        path: { type: 'string' },
        id: { type: 'string' },
        groups: { type: 'array', items: { $ref: '#/$defs/group' } },
        checks: { type: 'array', items: check },
      },
    },
  },
  properties: {
    root_group: { $ref: '#/$defs/group' },
    options: {
      type: 'object',
      required: ['summaryTrendStats', 'summaryTimeUnit', 'noColor'],
      properties: {
        summaryTrendStats: { type: 'array', items: { type: 'string' } },
        summaryTimeUnit: { type: 'string' },
        noColor: { type: 'boolean' },
      },
    },
    state: {
      type: 'object',
      required: ['isStdOutTTY', 'isStdErrTTY', 'testRunDurationMs'],
      properties: { isStdOutTTY: { type: 'boolean' }, isStdErrTTY: { type: 'boolean' }, testRunDurationMs: number },
    },
    metrics: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type', 'contains', 'values'],
        properties: {
          type: { enum: ['counter', 'gauge', 'rate', 'trend'] },
          contains: { enum: ['default', 'time', 'data'] },
          values: { type: 'object', additionalProperties: number },
          thresholds: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['ok'],
              properties: { ok: { type: 'boolean' } },
            },
          },
        },
        allOf: [
          statsOf('trend', ['avg', 'min', 'med', 'max']),
          statsOf('counter', ['count', 'rate']),
          statsOf('rate', ['rate', 'passes', 'fails']),
          statsOf('gauge', ['value', 'min', 'max']),
        ],
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile<K6Summary>(K6_SUMMARY_SCHEMA);

/** The path of a schema error; for a missing key, the key's own path. */
function segmentsOf(error: ErrorObject): PathSegment[] {
  const path = pathOf(error.instancePath);
  if (error.keyword === 'required') path.push(String((error.params as { missingProperty: string }).missingProperty));
  return path;
}

/** Reads and checks a k6 summary file; every problem is `file:line:col path: reason`. */
export async function readK6Summary(file: string): Promise<K6Summary> {
  const doc = await loadScenarioFile(file, 'k6 summary');
  if (validate(doc.value)) return doc.value;
  const problems = (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const path = segmentsOf(e);
      const where = e.keyword === 'required' ? path.slice(0, -1) : path;
      return `${doc.locate(where)} ${formatPath(path)}: ${e.keyword === 'required' ? 'is missing' : (e.message ?? 'is invalid')}`;
    });
  throw new GlassbenchError('INVALID_INPUT', `${file}: not a k6 summary (${problems.length} problem(s))`, { problems });
}

const DOTS_AFTER = 3;

function valueText(metric: K6Metric, stat: string, value: number | undefined): string {
  if (value === undefined) return '-';
  const rounded = Number(value.toFixed(4)).toString();
  // a Rate's rate is a fraction of its samples, which k6 prints as a percentage
  if (metric.type === 'rate' && stat === 'rate') return `${(value * 100).toFixed(2)}%`;
  return metric.contains === 'time' && stat !== 'count' ? `${Number(value.toFixed(2))}ms` : rounded;
}

/** A metric's line after its name, as k6 writes it. */
function metricText(metric: K6Metric, trendStats: readonly string[]): string {
  const v = metric.values;
  switch (metric.type) {
    case 'trend':
      return trendStats
        .filter((s) => s in v)
        .map((s) => `${s}=${valueText(metric, s, v[s])}`)
        .join(' ');
    case 'counter':
      return `${valueText(metric, 'count', v['count'])} ${valueText(metric, 'rate', v['rate'])}/s`;
    case 'rate': {
      const passes = v['passes'] ?? 0;
      return `${((v['rate'] ?? 0) * 100).toFixed(2)}% ${passes} out of ${passes + (v['fails'] ?? 0)}`;
    }
    case 'gauge':
      return `${valueText(metric, 'value', v['value'])} min=${valueText(metric, 'min', v['min'])} max=${valueText(metric, 'max', v['max'])}`;
  }
}

/** The aggregation an expression checks, as k6 names it (`p(95)` of `p(95)<400`). */
function statOf(expression: string): string {
  return /^\s*([a-z]+(?:\([^)]*\))?)/i.exec(expression)?.[1]?.replace(/\s+/g, '') ?? expression;
}

/** k6's classic end-of-test text summary of `data`; `script` is the suite's name for tools that read it. */
export function k6SummaryText(data: K6Summary, script: string): string {
  const names = Object.keys(data.metrics).sort();
  const thresholdLines: [string, string][] = [];
  for (const name of names) {
    const metric = data.metrics[name] as K6Metric;
    for (const [expression, verdict] of Object.entries(metric.thresholds ?? {})) {
      const stat = statOf(expression);
      thresholdLines.push([
        `${verdict.ok ? '✓' : '✗'} ${name} ${expression}`,
        `${stat}=${valueText(metric, stat, metric.values[stat])}`,
      ]);
    }
  }
  const width =
    Math.max(...names.map((n) => n.length + 2), ...thresholdLines.map(([head]) => head.length)) + DOTS_AFTER;
  const dotted = (head: string, rest: string): string => `${head}${'.'.repeat(width - head.length)}: ${rest}`;
  const lines = ['', `     script: ${script}`, ''];
  for (const [head, rest] of thresholdLines) lines.push(`  ${dotted(head, rest)}`);
  if (thresholdLines.length > 0) lines.push('');
  for (const name of names)
    lines.push(`  ${dotted(`  ${name}`, metricText(data.metrics[name] as K6Metric, data.options.summaryTrendStats))}`);
  lines.push('');
  return lines.join('\n');
}
