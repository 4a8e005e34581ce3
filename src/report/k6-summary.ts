/**
 * k6's end-of-test summary data (the object k6 hands to `handleSummary`, which k6's reporters read), made from a
 * run's summary.json: `--summary-export FILE` and `report: { summary-export: FILE }` write it (docs/outputs.md, "k6
 * summary export"). Metrics by name with k6's `type` and `contains`; trends with `avg`, `min`, `med`, `max`, `p(90)`,
 * `p(95)` and every statistic a threshold on them uses (`p(99.9)`, `count`); counters with `count` and `rate` (per
 * second); rates with `rate`, `passes` and `fails`; each threshold's verdict as `{ ok }`. A threshold with tag
 * filters is on k6's sub-metric `metric{tag:value}`; a variant's is on `metric{...,variant:name}`.
 */
import { parseThresholdExpression, parseThresholdKey } from '../budgets/parse.js';
import type { Aggregation, ThresholdResult } from '../budgets/types.js';
import { findMetric } from '../metrics/catalogue.js';
import type { TrendSummary } from '../metrics/histogram.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';
import type { RunSummary } from './summary.js';

export type K6MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

export interface K6Metric {
  type: K6MetricType;
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6Group {
  name: string;
  path: string;
  id: string;
  groups: K6Group[];
  checks: { name: string; path: string; id: string; passes: number; fails: number }[];
}

export interface K6Summary {
  root_group: K6Group;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, K6Metric>;
}

/** k6's default trend statistics, in its order. */
export const K6_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'] as const;

type Series = TrendSummary | CounterSummary | RateSummary;

/** k6's name of an aggregation: `p(99.9)`, `avg`, `count`. */
function statName(aggregation: Aggregation): string {
  return aggregation.kind === 'percentile' ? `p(${aggregation.percentile})` : aggregation.kind;
}

/** The statistics of one series, as k6 names them; a trend without samples reads 0, as k6 writes one. */
function valuesOf(kind: 'trend' | 'counter' | 'rate', series: Series | undefined): Record<string, number> {
  if (kind === 'trend') {
    const t = series && 'p95' in series ? series : undefined;
    return {
      avg: t?.mean ?? 0,
      min: t?.min ?? 0,
      med: t?.p50 ?? 0,
      max: t?.max ?? 0,
      'p(90)': t?.p90 ?? 0,
      'p(95)': t?.p95 ?? 0,
    };
  }
  if (kind === 'rate') {
    const r = series && 'hits' in series ? series : undefined;
    return { rate: r?.rate ?? 0, passes: r?.hits ?? 0, fails: (r?.count ?? 0) - (r?.hits ?? 0) };
  }
  const c = series && !('p95' in series) && !('hits' in series) ? series : undefined;
  return { count: c?.count ?? 0, rate: c?.rate ?? 0 };
}

function metricOf(name: string, series: Series | undefined): K6Metric | undefined {
  const row = findMetric(name);
  if (!row) return undefined;
  return { type: row.kind, contains: row.unit === 'ms' ? 'time' : 'default', values: valuesOf(row.kind, series) };
}

/** `frame_latency_ms{room:r1}` with `variant:v` added: k6's sub-metric key of a variant's threshold. */
function withVariant(key: string, variant: string): string {
  const { metric, tags } = parseThresholdKey(key);
  const all = Object.entries({ ...tags, variant }).map(([k, v]) => `${k}:${v}`);
  return `${metric}{${all.join(',')}}`;
}

/** One threshold key's results on its k6 metric: verdicts by expression, and the statistics they were checked on. */
function addThresholds(metric: K6Metric, results: ThresholdResult[]): void {
  const thresholds = (metric.thresholds ??= {});
  for (const result of results) {
    // the same expression twice (a variant's rounds): it holds when it held every time
    thresholds[result.expr] = { ok: result.ok && (thresholds[result.expr]?.ok ?? true) };
    const stat = statName(parseThresholdExpression(result.expr).aggregation);
    if (!(stat in metric.values) && result.actual !== null) metric.values[stat] = result.actual;
  }
}

/** The k6 summary data of a run (one run, a capacity search's knee, or a variants comparison). */
export function k6SummaryOf(summary: RunSummary): K6Summary {
  const metrics: Record<string, K6Metric> = {};
  const put = (key: string, series: Series | undefined): K6Metric | undefined => {
    const existing = metrics[key];
    if (existing) return existing;
    const made = metricOf(parseThresholdKey(key).metric, series);
    if (made) metrics[key] = made;
    return made;
  };
  for (const [name, series] of Object.entries(summary.metrics)) put(name, series);
  const variants = new Map((summary.variants ?? []).map((v) => [v.name, v]));
  for (const v of variants.values())
    for (const [name, series] of Object.entries(v.metrics)) put(`${name}{variant:${v.name}}`, series);
  for (const [key, results] of Object.entries(summary.thresholds)) {
    // a variants run keys its thresholds `<variant>: <key>`, one result per round
    const split = /^([A-Za-z0-9_.-]{1,32}): (.+)$/.exec(key);
    const variant = split ? variants.get(split[1] as string) : undefined;
    const own = variant ? (split?.[2] as string) : key;
    const k6Key = variant ? withVariant(own, variant.name) : own;
    const series = variant ? variant.submetrics?.[own] : summary.submetrics?.[own];
    const metric = put(k6Key, series);
    if (metric) addThresholds(metric, results);
  }
  // the trend statistics written: k6's defaults, then the ones the thresholds added
  const stats = new Set<string>(K6_TREND_STATS);
  for (const m of Object.values(metrics))
    if (m.type === 'trend') for (const stat of Object.keys(m.values)) stats.add(stat);
  return {
    root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: [], checks: [] },
    options: {
      summaryTrendStats: [...stats],
      summaryTimeUnit: '',
      noColor: false,
    },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: summary.durationMs },
    metrics,
  };
}
