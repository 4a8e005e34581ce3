/**
 * The metrics of a run read back from InfluxDB, its shards merged (`report --influx --testid X`). Shards run
 * side by side, each with its own processes and rooms, so:
 * - counters and Rates add up (count; Rates count and hits, the fraction computed again);
 * - trends whose samples InfluxDB holds are summarised again from every shard's samples: the latencies and
 *   AI times of `frame` points, the translation chain's `speech` points, and the WebRTC stats of `webrtc`
 *   points (jitter, packet loss, bitrate, jitter-buffer delay, decode time);
 * - trends whose samples were never written (CPU, RSS, event-loop delay, machine CPU, fps per subscription,
 *   send lag, ...) are merged from the shards' summaries (merge-metrics.ts: count-weighted mean, min of the
 *   mins, max of the maxes, and p50..p99 as an upper bound, said in a note); `peers_active` is a count per
 *   shard at the same moments, so the shards' values add up instead;
 * - `saturated` is true when any shard was saturated (a starved shard makes the whole run's numbers suspect).
 */
import { SampleSink } from '../compare/samples.js';
import { STATS_TRENDS } from '../metrics/catalogue.js';
import { Trend, type TrendSummary } from '../metrics/histogram.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';
import { mergeTrendSummaries, type MetricSummary, sumCounters, sumRates } from './merge-metrics.js';
import type { ProcessUsage } from './summary.js';

type Row = Record<string, unknown>;

export interface ShardMergeInput {
  /**
   * `summary` points: one per metric per shard (tags `metric`, `shard`; fields of the summary, `saturated`, `status`)
   */
  summaryRows: Row[];
  /** `frame` and `speech` points in the shape of frames.ndjson.gz records, each with its `shard` */
  records: Row[];
  /** `webrtc` points: `time` in µs, `shard`, one field per stats metric */
  webrtcRows: Row[];
  /** `process` points: one per process per shard (`process`, `shard`, usage fields) */
  processRows: Row[];
}

export interface ShardMergeResult {
  shards: string[];
  sharded: boolean;
  metrics: Record<string, MetricSummary>;
  saturated: boolean;
  processes: Record<string, ProcessUsage>;
  notes: string[];
}

const shardOf = (row: Row): string => (typeof row['shard'] === 'string' ? row['shard'] : '');

/** A summary point back in the summary's shape: a Rate has `hits`, a trend `p50`, a counter neither. */
export function summaryOfRow(row: Row): MetricSummary {
  const n = (key: string): number => Number(row[key] ?? 0);
  if (typeof row['hits'] === 'number')
    return { count: n('count'), hits: n('hits'), rate: typeof row['rate'] === 'number' ? row['rate'] : null };
  if (typeof row['p50'] === 'number')
    return {
      count: n('count'),
      min: n('min'),
      mean: n('mean'),
      p50: n('p50'),
      p90: n('p90'),
      p95: n('p95'),
      p99: n('p99'),
      max: n('max'),
    };
  return { count: n('count'), rate: n('rate') };
}

function trendOf(values: Iterable<number>): TrendSummary | null {
  const trend = new Trend();
  for (const v of values) trend.record(v);
  return trend.summary();
}

/**
 * When each shard's measured window began, for WebRTC points written without a warm-up flag: its first
 * measured frame's capture time. The stats a shard's summary counted are those from the collector's
 * measureFromMs on, which this approaches to within one frame interval (against once-a-second stats: a
 * sample in between is misjudged, and the count mismatch goes into a note).
 */
function measureStartByShard(records: Row[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const capture = r['captureMs'];
    if (r['warmup'] === true || r['kind'] === 'speech' || typeof capture !== 'number') continue;
    const shard = shardOf(r);
    if (capture < (out.get(shard) ?? Number.POSITIVE_INFINITY)) out.set(shard, capture);
  }
  return out;
}

/** The run's processes: each shard's own, named `<process>-shard<i>` when there are shards. */
function processesOf(rows: Row[], sharded: boolean): Record<string, ProcessUsage> {
  const out: Record<string, ProcessUsage> = {};
  for (const row of rows) {
    const name = String(row['process'] ?? '');
    if (name === '') continue;
    const index = shardOf(row).split('/')[0];
    out[sharded ? `${name}-shard${index}` : name] = {
      samples: Number(row['samples'] ?? 0),
      cpuPctMean: Number(row['cpu_pct_mean'] ?? 0),
      cpuPctMax: Number(row['cpu_pct_max'] ?? 0),
      overSaturationShare: Number(row['over_saturation_share'] ?? 0),
      rssMbMax: Number(row['rss_mb_max'] ?? 0),
    };
  }
  return out;
}

export function mergeShards(input: ShardMergeInput): ShardMergeResult {
  const shards = [...new Set(input.summaryRows.map(shardOf))].sort();
  const sharded = shards.length > 1 || (shards[0] ?? '') !== '';
  const parts = new Map<string, MetricSummary[]>();
  for (const row of input.summaryRows) {
    const metric = String(row['metric'] ?? '');
    if (metric === '') continue;
    parts.set(metric, [...(parts.get(metric) ?? []), summaryOfRow(row)]);
  }
  const saturatedShards = shards.filter((shard) =>
    input.summaryRows.some((row) => shardOf(row) === shard && row['saturated'] === true),
  );
  const notes: string[] = [];
  const metrics: Record<string, MetricSummary> = {};

  // the trends InfluxDB has the samples of, when there is more than one shard to merge
  const fromSamples = new Map<string, TrendSummary>();
  if (sharded) {
    const sink = new SampleSink();
    for (const record of input.records) sink.push(record);
    for (const [metric, values] of sink.values) {
      const merged = trendOf(values);
      if (merged) fromSamples.set(metric, merged);
    }
    const starts = measureStartByShard(input.records);
    const flagged = new Set(input.webrtcRows.filter((row) => row['warmup'] === true).map(shardOf));
    // a shard that flagged its warm-up stats says which count; for one that did not, its first measured frame does
    const measured = (row: Row): boolean =>
      flagged.has(shardOf(row))
        ? row['warmup'] !== true
        : Number(row['time']) / 1000 >= (starts.get(shardOf(row)) ?? Number.POSITIVE_INFINITY);
    for (const [metric] of STATS_TRENDS) {
      const values = input.webrtcRows
        .filter((row) => typeof row[metric] === 'number' && measured(row))
        .map((row) => row[metric] as number);
      const merged = trendOf(values);
      if (!merged) continue;
      fromSamples.set(metric, merged);
      const summed = (parts.get(metric) ?? []).reduce((n, p) => n + p.count, 0);
      if (summed !== merged.count)
        notes.push(
          `${metric}: ${merged.count} WebRTC samples from InfluxDB, the shards' summaries counted ${summed} (points without a warm-up flag: the measured window is taken from each shard's first measured frame)`,
        );
    }
  }

  const bounded: string[] = [];
  for (const [metric, list] of parts) {
    const first = list[0] as MetricSummary;
    if ('hits' in first) metrics[metric] = sumRates(list as RateSummary[]);
    else if (!('p50' in first)) metrics[metric] = sumCounters(list as CounterSummary[]);
    else if (fromSamples.has(metric)) metrics[metric] = fromSamples.get(metric) as TrendSummary;
    else if (metric === 'peers_active' && sharded && list.length > 1)
      metrics[metric] = addSideBySide(list as TrendSummary[]);
    else {
      const merged = mergeTrendSummaries(list as TrendSummary[]);
      if (!merged) continue;
      metrics[metric] = merged.summary;
      if (merged.bounded) bounded.push(metric);
    }
  }
  // a trend only the frame points know (a shard wrote no summary point for it)
  for (const [metric, summary] of fromSamples) metrics[metric] ??= summary;

  if (bounded.length > 0) {
    notes.push(
      `${bounded.join(', ')}: merged from ${sharded ? "the shards' summaries" : 'several summary points'} (InfluxDB has no samples of them): count and min/max exact, mean count-weighted, p50..p99 the largest part's, an upper bound (percentiles cannot be merged from the parts' percentiles; the merged one lies between the smallest and largest part's)`,
    );
  }
  if (sharded) {
    notes.unshift(
      `merged ${shards.length} shard(s) (${shards.join(', ')}): counters and Rates summed; latencies, AI and speech times and WebRTC stats summarised again from every shard's points`,
    );
    if (metrics['peers_active'] && (parts.get('peers_active')?.length ?? 0) > 1)
      notes.push(
        "peers_active: the shards' values added (they ran side by side); the mean is exact, min, max and percentiles are bounds",
      );
    if (saturatedShards.length > 0)
      notes.push(
        `saturated: shard ${saturatedShards.join(', ')} saturated, so the merged run is (a starved load generator in one shard skews every merged number)`,
      );
  }
  return {
    shards,
    sharded,
    metrics,
    saturated: saturatedShards.length > 0,
    processes: processesOf(input.processRows, sharded),
    notes,
  };
}

/** A count per shard sampled at the same moments (peers connected): the run's is the shards' sum. */
function addSideBySide(list: TrendSummary[]): TrendSummary {
  const sum = (key: keyof TrendSummary): number => Math.round(list.reduce((s, p) => s + p[key], 0) * 1000) / 1000;
  return {
    count: Math.max(...list.map((p) => p.count)),
    min: sum('min'),
    mean: sum('mean'),
    p50: sum('p50'),
    p90: sum('p90'),
    p95: sum('p95'),
    p99: sum('p99'),
    max: sum('max'),
  };
}
