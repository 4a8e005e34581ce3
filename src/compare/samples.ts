/**
 * The frame-level samples a comparison works on, per metric: from a run directory (frames.ndjson.gz and
 * summary.json) or from InfluxDB (influx-source.ts). Warm-up records are left out, as the run's own
 * metrics leave them out. Per-frame metrics (the AI hook's) count once per frame, not once per receiver;
 * translation metrics once per utterance (the chain's times) or per receiver (subtitle, speech).
 *
 * Each value keeps its cluster, the unit the bootstrap resamples (stats.ts): one frame (publisher + frame id:
 * every receiver's copy of it together), one utterance (every listener of it together), or, for a record
 * with neither, the record alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { GlassbenchError } from '../errors.js';
import { aiStageMetric, frameFieldMetrics, type MetricName, SPEECH_METRICS } from '../metrics/catalogue.js';
import type { RunSummary } from '../report/summary.js';
import { readFramesFile } from '../sinks/frames-file.js';

export interface RunSamples {
  /** what the run is called in the comparison: its directory or `influx:<testid>` */
  source: string;
  runId: string;
  scenario: string;
  status: string;
  startedAt: string;
  /** metric -> values */
  values: Map<MetricName, number[]>;
  /** metric -> the cluster id of each value in `values` (same length) */
  clusters: Map<MetricName, number[]>;
}

/** frame record fields of the metrics counted per receiver, and once per frame (the AI hook's) */
const PER_RECEIPT = frameFieldMetrics('receipt');
const PER_FRAME = frameFieldMetrics('frame');
/** speech record fields: the chain's times once per utterance, the subtitle and speech latencies per receiver */
const PER_UTTERANCE = SPEECH_METRICS.filter((m) => m.scope === 'utterance');
const PER_LISTENER = SPEECH_METRICS.filter((m) => m.scope === 'listener');

/** speech records without an utterance number are clustered by blocks of this much time (utterance end) */
const SPEECH_BLOCK_MS = 1000;

/** Adds one record of frames.ndjson.gz (or its InfluxDB point, in the same shape) to `values`. */
export class SampleSink {
  readonly values = new Map<MetricName, number[]>();
  readonly clusters = new Map<MetricName, number[]>();
  private readonly framesSeen = new Set<string>();
  private readonly utterancesSeen = new Set<string>();
  private readonly clusterIds = new Map<string, number>();
  private nextCluster = 0;
  /** keys of one source (a round of a variant) never meet those of another */
  private sourcePrefix = '';
  private sources = 0;

  /** Records pushed from now on come from another run (a further round): their frames are other frames. */
  nextSource(): void {
    this.sources += 1;
    this.sourcePrefix = `${this.sources}|`;
    this.framesSeen.clear();
    this.utterancesSeen.clear();
  }

  private cluster(key: string | undefined): number {
    if (key === undefined) return this.nextCluster++;
    const scoped = this.sourcePrefix + key;
    let id = this.clusterIds.get(scoped);
    if (id === undefined) {
      id = this.nextCluster++;
      this.clusterIds.set(scoped, id);
    }
    return id;
  }

  private add(metric: MetricName | undefined, value: unknown, cluster: number): void {
    if (metric === undefined || typeof value !== 'number' || !Number.isFinite(value)) return;
    let list = this.values.get(metric);
    let ids = this.clusters.get(metric);
    if (!list || !ids) {
      list = [];
      ids = [];
      this.values.set(metric, list);
      this.clusters.set(metric, ids);
    }
    list.push(value);
    ids.push(cluster);
  }

  push(record: Record<string, unknown>): void {
    if (record['warmup'] === true) return;
    if (record['kind'] === 'speech') {
      const hasN = typeof record['n'] === 'number';
      const utterance = `${String(record['publisher'])}/${String(record['n'])}`;
      const endMs = record['utteranceEndMs'];
      const key = hasN
        ? `u:${utterance}`
        : typeof endMs === 'number'
          ? `t:${Math.floor(endMs / SPEECH_BLOCK_MS)}`
          : undefined;
      const cluster = this.cluster(key);
      if (!hasN || !this.utterancesSeen.has(utterance)) {
        if (hasN) this.utterancesSeen.add(utterance);
        for (const { metric, field } of PER_UTTERANCE) this.add(metric, record[field], cluster);
      }
      for (const { metric, field } of PER_LISTENER) this.add(metric, record[field], cluster);
      return;
    }
    const frame =
      typeof record['frameId'] === 'string' ? `${String(record['publisher'])}/${record['frameId']}` : undefined;
    const cluster = this.cluster(frame === undefined ? undefined : `f:${frame}`);
    for (const { metric, field } of PER_RECEIPT) this.add(metric, record[field], cluster);
    if (frame === undefined || this.framesSeen.has(frame)) return;
    this.framesSeen.add(frame);
    for (const { metric, field } of PER_FRAME) this.add(metric, record[field], cluster);
    const stages = record['aiStagesMs'];
    if (stages && typeof stages === 'object')
      for (const [stage, ms] of Object.entries(stages)) this.add(aiStageMetric(stage), ms, cluster);
  }
}

/**
 * The samples of a run directory; a clear error when it is not one. A run with variants is compared one
 * variant at a time: `variant` names it, and its rounds are read together.
 */
export async function samplesFromDir(dir: string, variant?: string): Promise<RunSamples> {
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath))
    throw new GlassbenchError('INVALID_INPUT', `${dir}: not a run directory (no summary.json)`);
  let summary: RunSummary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
  } catch (error) {
    throw new GlassbenchError('INVALID_INPUT', `${summaryPath}: not readable JSON (${(error as Error).message})`);
  }
  const sink = new SampleSink();
  if (summary.variants) {
    const names = summary.variants.map((v) => v.name);
    const chosen = summary.variants.find((v) => v.name === variant);
    if (!chosen)
      throw new GlassbenchError(
        'INVALID_INPUT',
        `${dir}: a run with variants (${names.join(', ')}): name one with --variant`,
      );
    for (const round of chosen.rounds) {
      sink.nextSource();
      await readFrames(round.dir, sink);
    }
    return {
      source: `${dir} (${chosen.name})`,
      runId: `${summary.runId}/${chosen.name}`,
      scenario: summary.scenario.name,
      status: chosen.status,
      startedAt: summary.startedAt,
      values: sink.values,
      clusters: sink.clusters,
    };
  }
  if (variant !== undefined)
    throw new GlassbenchError('INVALID_INPUT', `${dir}: --variant ${variant}, but this run has no variants`);
  await readFrames(dir, sink);
  return {
    source: dir,
    runId: summary.runId,
    scenario: summary.scenario.name,
    status: summary.status,
    startedAt: summary.startedAt,
    values: sink.values,
    clusters: sink.clusters,
  };
}

/** Every record of `<dir>/frames.ndjson.gz` into `sink`; a clear error naming the file when it cannot be read. */
export async function readFrames(dir: string, sink: SampleSink): Promise<void> {
  const framesPath = join(dir, 'frames.ndjson.gz');
  await readFramesFile(framesPath, (record) => sink.push(record)).catch((error: unknown) => {
    throw new GlassbenchError('INVALID_INPUT', `${framesPath}: ${(error as Error).message}`);
  });
}
