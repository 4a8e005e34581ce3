/**
 * What report.html shows, computed from a run's files: per metric the CDF and budget, the headline latency
 * per second, the stage waterfall, the thresholds (and, of the failed ones, which failed first), and for a
 * scenario with variants each variant side by side. Percentiles are nearest rank (compare/stats.ts), as in
 * the summary.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { compare as compareOp } from '../budgets/evaluate.js';
import { parseThresholdExpression, parseThresholdKey } from '../budgets/parse.js';
import type { Aggregation } from '../budgets/types.js';
import { quantile, sortedCopy } from '../compare/stats.js';
import { GlassbenchError } from '../errors.js';
import { aiStageMetric, frameFieldMetrics, isMetricName, type MetricName } from '../metrics/catalogue.js';
import { saturationAdvice } from '../metrics/saturation.js';
import { readFramesFile } from '../sinks/frames-file.js';
import { isRateSummary } from './merge-metrics.js';
import { perceptionOf, type PerceptionRow } from './perception.js';
import { sfuLoopDelayPoints } from './sfu-seconds.js';
import { type Bottleneck, meanCpuByKind, type RunSummary } from './summary.js';

/** the per-frame latencies the report draws: each receiver's, and the AI hook's (per receipt, as it is drawn) */
const FIELDS = [
  ...frameFieldMetrics('receipt'),
  ...frameFieldMetrics('frame').filter((m) => m.metric === 'ai_hook_ms'),
];
const STAGES: readonly MetricName[] = ['uplink_ms', 'sfu_ms', 'downlink_ms', 'render_ms'];

export interface Cdf {
  metric: MetricName;
  /** [ms, cumulative share] pairs, at most ~200 */
  points: [number, number][];
  budgets: number[];
  /** nearest-rank median and 95th percentile of every sample (the points are thinned, these are not) */
  p50: number;
  p95: number;
}

export interface SeriesData {
  label: string;
  /** [second since start, p50, p95] */
  points: [number, number, number][];
}

export interface ReportData {
  title: string;
  /** cross-host stages whose clock uncertainty is over 10% of their median, in this run or any of its shards */
  uncertainMetrics?: string[];
  /** each shard's clock offset to the SFU's host (one entry, shard '', for a run without shards) */
  clock?: {
    shards: {
      shard: string;
      method: string;
      offsetMs: number;
      uncertaintyMs: number | null;
      samples: number;
      uncertain: { metric: string; p50Ms: number; uncertaintyMs: number | null }[];
    }[];
  };
  /** how receivers named frames (summary.identity): receipts per method, and those whose frame stayed unknown */
  identity?: { methods: Record<string, number>; identityLost: number; subscriptions: number };
  runId: string;
  status: string;
  saturated: boolean;
  /** each saturation line crossed (the banner lists them), and what to do */
  saturation?: { reasons: string[]; advice: string };
  notes: string[];
  headline: string;
  thresholds: { key: string; expr: string; ok: boolean; actual: number | null }[];
  /** the failed threshold whose metric first went over its budget, with when */
  failedFirst?: { key: string; expr: string; atS: number };
  /** executors: the load stages (times in s from the start of the run) with their latency, and peers over time */
  load?: {
    stages: {
      label: string;
      startS: number;
      endS: number;
      latency: Record<string, { count: number; p50: number | null; p95: number | null }>;
    }[];
    peers: [number, number][];
  };
  /** k6 Rates (fractions, e.g. frame_loss_ratio) per group: yes samples of all samples */
  rates: { group: string; metric: string; count: number; hits: number; rate: number | null }[];
  /** the system under test could not keep up (summary.bottleneck): the run is valid, the report says who */
  bottleneck?: Bottleneck;
  /** what people see and hear beside the latency (perception.ts): A/V sync, picture quality, freezes, first frame */
  perception?: { groups: string[]; rows: PerceptionRow[] };
  /** a run without variants: each stage's median per second, with the SFU's event-loop delay p99 per second beside
   * them (the time a datagram waits unread, which no stage stamp sees); [second since start, ms] */
  stagesOverTime?: { stages: { metric: string; points: [number, number][] }[]; sfuLoopDelayMs: [number, number][] };
  /** `glassbench capacity`: the steps and the knee */
  capacity?: NonNullable<RunSummary['capacity']>;
  /** per variant (one entry named after the run without variants) */
  groups: {
    name: string;
    cdfs: Cdf[];
    overTime: SeriesData[];
    waterfall: { stage: string; p50: number; p95: number }[];
    bars: Record<string, number>;
  }[];
}

interface Sample {
  t: number;
  values: Partial<Record<MetricName, number>>;
}

async function readSamples(dir: string): Promise<Sample[]> {
  const out: Sample[] = [];
  await readFramesFile(join(dir, 'frames.ndjson.gz'), (r) => {
    if (r['warmup'] === true || r['kind'] === 'speech') return;
    const t = (r['renderedMs'] ?? r['receivedMs']) as number | undefined;
    if (typeof t !== 'number') return;
    const values: Sample['values'] = {};
    for (const { metric, field } of FIELDS) if (typeof r[field] === 'number') values[metric] = r[field] as number;
    const stages = r['aiStagesMs'] as Record<string, number> | undefined;
    for (const [stage, ms] of Object.entries(stages ?? {})) {
      const metric = aiStageMetric(stage);
      if (metric) values[metric] = ms;
    }
    out.push({ t, values });
  }).catch(() => undefined); // an unreadable file: draw what was read
  return out.sort((a, b) => a.t - b.t);
}

function append<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function aggregate(sorted: Float64Array, aggregation: Aggregation): number | null {
  if (sorted.length === 0) return null;
  switch (aggregation.kind) {
    case 'percentile':
      return quantile(sorted, aggregation.percentile / 100);
    case 'med':
      return quantile(sorted, 0.5);
    case 'avg':
      return sorted.reduce((a, b) => a + b, 0) / sorted.length;
    case 'min':
      return sorted[0] as number;
    case 'max':
      return sorted[sorted.length - 1] as number;
    default:
      return null;
  }
}

function budgetsOf(summary: RunSummary, metric: string): number[] {
  const out: number[] = [];
  for (const key of Object.keys(summary.thresholds)) {
    const plain = key.includes(': ') ? key.slice(key.indexOf(': ') + 2) : key;
    try {
      if (parseThresholdKey(plain).metric !== metric) continue;
    } catch {
      continue;
    }
    for (const r of summary.thresholds[key] ?? []) {
      try {
        const e = parseThresholdExpression(r.expr);
        if (e.operator === '<' || e.operator === '<=') out.push(e.value);
      } catch {
        // not an expression the report can draw
      }
    }
  }
  return [...new Set(out)];
}

function group(
  name: string,
  samples: Sample[],
  summary: RunSummary,
  startMs: number,
  extraBars: Record<string, number>,
): ReportData['groups'][number] {
  const byMetric = new Map<MetricName, number[]>();
  for (const s of samples)
    for (const [m, v] of Object.entries(s.values) as [MetricName, number][]) append(byMetric, m, v);
  const cdfs: Cdf[] = [];
  for (const [metric, values] of byMetric) {
    const sorted = sortedCopy(values);
    const step = Math.max(1, Math.floor(sorted.length / 200));
    const points: [number, number][] = [];
    for (let i = 0; i < sorted.length; i += step)
      points.push([Math.round((sorted[i] as number) * 100) / 100, (i + 1) / sorted.length]);
    points.push([sorted[sorted.length - 1] as number, 1]);
    cdfs.push({
      metric,
      points,
      budgets: budgetsOf(summary, metric),
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
    });
  }
  const headline = byMetric.has('g2g_latency_ms') ? 'g2g_latency_ms' : 'frame_latency_ms';
  const perSecond = new Map<number, number[]>();
  for (const s of samples) {
    const v = s.values[headline];
    if (v === undefined) continue;
    append(perSecond, Math.floor((s.t - startMs) / 1000), v);
  }
  const points: [number, number, number][] = [...perSecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([sec, vs]) => {
      const sorted = sortedCopy(vs);
      return [sec, quantile(sorted, 0.5), quantile(sorted, 0.95)];
    });
  const waterfall = STAGES.filter((s) => byMetric.has(s)).map((stage) => {
    const sorted = sortedCopy(byMetric.get(stage) ?? []);
    return { stage, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
  });
  const median = (m: MetricName): number | undefined =>
    byMetric.has(m) ? quantile(sortedCopy(byMetric.get(m) ?? []), 0.5) : undefined;
  const bars: Record<string, number> = { ...extraBars };
  for (const m of [headline, 'ai_inference_ms', 'ai_hook_ms'] as const) {
    const v = median(m);
    if (v !== undefined) bars[`${m} p50`] = v;
  }
  return { name, cdfs, overTime: [{ label: name, points }], waterfall, bars };
}

/** Each stage's median per second, and the SFU's event-loop delay over the same seconds. */
function stagesOverTime(samples: Sample[], summary: RunSummary, startMs: number): ReportData['stagesOverTime'] {
  const stages: { metric: MetricName; points: [number, number][] }[] = [];
  for (const metric of ['uplink_ms', 'sfu_ms', 'downlink_ms'] as const) {
    const perSecond = new Map<number, number[]>();
    for (const s of samples) {
      const v = s.values[metric];
      if (v !== undefined) append(perSecond, Math.floor((s.t - startMs) / 1000), v);
    }
    if (perSecond.size === 0) continue;
    stages.push({
      metric,
      points: [...perSecond.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([sec, vs]) => [sec, quantile(sortedCopy(vs), 0.5)]),
    });
  }
  // a `res` second covers the second before its stamp: drawn where the frame bins of that second start
  const sfuLoopDelayMs = sfuLoopDelayPoints(summary.sfu?.seconds ?? []);
  return stages.length > 0 || sfuLoopDelayMs.length > 0 ? { stages, sfuLoopDelayMs } : undefined;
}

/** Which failed threshold went over its budget first: its metric's running aggregate, second by second. */
function failedFirst(summary: RunSummary, samples: Sample[], startMs: number): ReportData['failedFirst'] {
  let first: ReportData['failedFirst'];
  for (const [key, results] of Object.entries(summary.thresholds)) {
    for (const r of results) {
      if (r.ok) continue;
      let metric: string;
      let expression;
      try {
        metric = parseThresholdKey(key.includes(': ') ? key.slice(key.indexOf(': ') + 2) : key).metric;
        expression = parseThresholdExpression(r.expr);
      } catch {
        continue;
      }
      // a threshold on a name the catalogue does not know has no samples to follow
      if (!isMetricName(metric)) continue;
      const values: number[] = [];
      let atS: number | undefined;
      let sec = -1;
      for (const s of samples) {
        const v = s.values[metric];
        if (v === undefined) continue;
        const now = Math.floor((s.t - startMs) / 1000);
        if (now !== sec && values.length >= 10) {
          const actual = aggregate(sortedCopy(values), expression.aggregation);
          if (actual !== null && !compareOp(actual, expression.operator, expression.value)) {
            atS = sec + 1;
            break;
          }
        }
        sec = now;
        values.push(v);
      }
      // counters and Rates have no per-frame samples to follow: which of them failed first is not known
      if (sec < 0) continue;
      atS ??= sec + 1;
      if (!first || atS < first.atS) first = { key, expr: r.expr, atS };
    }
  }
  return first;
}

export async function reportData(dir: string): Promise<ReportData> {
  const path = join(dir, 'summary.json');
  if (!existsSync(path)) throw new GlassbenchError('INVALID_INPUT', `${dir}: not a run directory (no summary.json)`);
  const summary = JSON.parse(readFileSync(path, 'utf8')) as RunSummary;
  const startMs = Date.parse(summary.startedAt);
  const thresholds = Object.entries(summary.thresholds).flatMap(([key, list]) =>
    list.map((r) => ({ key, expr: r.expr, ok: r.ok, actual: r.actual })),
  );
  const data: ReportData = {
    title: summary.scenario.name,
    runId: summary.runId,
    status: summary.status,
    saturated: summary.saturated,
    notes: summary.notes,
    headline: 'frame_latency_ms',
    thresholds,
    groups: [],
    rates: [],
    uncertainMetrics: [],
  };
  const clocks = [
    ...(summary.clock ? [{ shard: '', clock: summary.clock }] : []),
    ...(summary.shards ?? []).flatMap((s) => (s.clock ? [{ shard: s.shard, clock: s.clock }] : [])),
  ];
  if (clocks.length > 0) {
    data.clock = {
      shards: clocks.map(({ shard, clock }) => ({
        shard,
        method: clock.method,
        offsetMs: clock.offsetMs,
        uncertaintyMs: clock.uncertaintyMs,
        samples: clock.samples,
        uncertain: clock.uncertainMetrics,
      })),
    };
    data.uncertainMetrics = [...new Set(clocks.flatMap(({ clock }) => clock.uncertainMetrics.map((m) => m.metric)))];
  }
  if (summary.identity) {
    const { methods, identityLost, subscriptions } = summary.identity;
    data.identity = { methods: { ...methods }, identityLost, subscriptions: subscriptions.length };
  }
  const addRates = (group: string, metrics: RunSummary['metrics']): void => {
    for (const [metric, m] of Object.entries(metrics))
      if (isRateSummary(m)) data.rates.push({ group, metric, count: m.count, hits: m.hits, rate: m.rate });
  };
  if (summary.variants) for (const v of summary.variants) addRates(v.name, v.metrics);
  else addRates(summary.scenario.name, summary.metrics);
  if (summary.variants) {
    for (const v of summary.variants) {
      const all: Sample[] = [];
      const overTime: SeriesData[] = [];
      for (const [i, round] of v.rounds.entries()) {
        const samples = await readSamples(round.dir);
        all.push(...samples);
        overTime.push(
          group(`${v.name} r${i + 1}`, samples, summary, Date.parse(round.startedAt), {}).overTime[0] as SeriesData,
        );
      }
      const drops =
        ((v.metrics['frames_dropped_ai'] as { count?: number } | undefined)?.count ?? 0) +
        ((v.metrics['frames_lost'] as { count?: number } | undefined)?.count ?? 0);
      const g = group(v.name, all, summary, startMs, {
        'SFU CPU %': v.cpuPctMean['sfu'] ?? 0,
        'browser CPU %': v.cpuPctMean['browser'] ?? 0,
        'frames dropped or lost': drops,
      });
      g.overTime = overTime;
      data.groups.push(g);
    }
  } else {
    const samples = await readSamples(dir);
    const cpu = meanCpuByKind([summary.processes]);
    const count = (m: string): number => (summary.metrics[m] as { count?: number } | undefined)?.count ?? 0;
    data.groups.push(
      group(summary.scenario.name, samples, summary, startMs, {
        'SFU CPU %': cpu['sfu'] ?? 0,
        'browser CPU %': cpu['browser'] ?? 0,
        'frames dropped or lost': count('frames_dropped_ai') + count('frames_lost'),
      }),
    );
    const first = failedFirst(summary, samples, startMs);
    if (first) data.failedFirst = first;
    const stages = stagesOverTime(samples, summary, startMs);
    if (stages) data.stagesOverTime = stages;
  }
  if (summary.load && summary.load.stages.length > 0) {
    const offsetS = summary.load.holdOffsetMs / 1000;
    data.load = {
      stages: summary.load.stages.map((st) => ({
        label: `${st.index}: ${st.label}`,
        startS: offsetS + st.startMs / 1000,
        endS: offsetS + st.endMs / 1000,
        latency: st.latency,
      })),
      peers: summary.load.timeline.map((t) => [offsetS + t.tMs / 1000, t.peers]),
    };
  }
  if (summary.capacity) data.capacity = summary.capacity;
  if (summary.bottleneck) data.bottleneck = summary.bottleneck;
  const perception = perceptionOf(summary);
  if (perception) data.perception = perception;
  if (summary.saturation && summary.saturation.reasons.length > 0)
    data.saturation = {
      reasons: summary.saturation.reasons.map((r) => r.text),
      advice: saturationAdvice(summary.saturation),
    };
  data.headline = data.groups.some((g) => g.cdfs.some((c) => c.metric === 'g2g_latency_ms'))
    ? 'g2g_latency_ms'
    : 'frame_latency_ms';
  return data;
}
