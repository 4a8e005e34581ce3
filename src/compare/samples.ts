/**
 * The frame-level samples a comparison works on, per metric: from a run directory (frames.ndjson.gz and
 * summary.json) or from InfluxDB (influx-source.ts). Warm-up records are left out, as the run's own
 * metrics leave them out. Per-frame metrics (the AI hook's) count once per frame, not once per receiver;
 * translation metrics once per utterance (the chain's times) or per receiver (subtitle, speech).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassbenchError } from '../errors.js';
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
  values: Map<string, number[]>;
}

/** frame record field -> metric, per receiver */
export const PER_RECEIPT: [string, string][] = [
  ['g2gLatencyMs', 'g2g_latency_ms'],
  ['frameLatencyMs', 'frame_latency_ms'],
  ['uplinkMs', 'uplink_ms'],
  ['sfuMs', 'sfu_ms'],
  ['downlinkMs', 'downlink_ms'],
  ['renderMs', 'render_ms'],
];
const PER_FRAME: [string, string][] = [
  ['aiQueueMs', 'ai_queue_ms'],
  ['aiHookMs', 'ai_hook_ms'],
];
const PER_UTTERANCE: [string, string][] = [
  ['asrMs', 'asr_ms'],
  ['mtMs', 'mt_ms'],
  ['ttsTtfbMs', 'tts_ttfb_ms'],
  ['werPct', 'asr_wer_pct'],
];
const PER_LISTENER: [string, string][] = [
  ['subtitleLatencyMs', 'subtitle_latency_ms'],
  ['s2sLatencyMs', 's2s_latency_ms'],
];

/** Adds one record of frames.ndjson.gz (or its InfluxDB point, in the same shape) to `values`. */
export class SampleSink {
  readonly values = new Map<string, number[]>();
  private readonly framesSeen = new Set<string>();
  private readonly utterancesSeen = new Set<string>();

  private add(metric: string, value: unknown): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    let list = this.values.get(metric);
    if (!list) {
      list = [];
      this.values.set(metric, list);
    }
    list.push(value);
  }

  push(record: Record<string, unknown>): void {
    if (record['warmup'] === true) return;
    if (record['kind'] === 'speech') {
      const utterance = `${String(record['publisher'])}/${String(record['n'])}`;
      if (!this.utterancesSeen.has(utterance)) {
        this.utterancesSeen.add(utterance);
        for (const [field, metric] of PER_UTTERANCE) this.add(metric, record[field]);
      }
      for (const [field, metric] of PER_LISTENER) this.add(metric, record[field]);
      return;
    }
    for (const [field, metric] of PER_RECEIPT) this.add(metric, record[field]);
    const frame = typeof record['frameId'] === 'string' ? `${String(record['publisher'])}/${record['frameId']}` : undefined;
    if (frame === undefined || this.framesSeen.has(frame)) return;
    this.framesSeen.add(frame);
    for (const [field, metric] of PER_FRAME) this.add(metric, record[field]);
    const stages = record['aiStagesMs'];
    if (stages && typeof stages === 'object') for (const [stage, ms] of Object.entries(stages)) this.add(`ai_${stage}_ms`, ms);
  }
}

/** The samples of a run directory; a clear error when it is not one. */
/**
 * The samples of a run directory; a clear error when it is not one. A run with variants is compared one
 * variant at a time: `variant` names it, and its rounds are read together.
 */
export async function samplesFromDir(dir: string, variant?: string): Promise<RunSamples> {
  const summaryPath = join(dir, 'summary.json');
  const framesPath = join(dir, 'frames.ndjson.gz');
  if (!existsSync(summaryPath)) throw new GlassbenchError('INVALID_INPUT', `${dir}: not a run directory (no summary.json)`);
  let summary: RunSummary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
  } catch (error) {
    throw new GlassbenchError('INVALID_INPUT', `${summaryPath}: not readable JSON (${(error as Error).message})`);
  }
  if (summary.variants) {
    const names = summary.variants.map((v) => v.name);
    const chosen = summary.variants.find((v) => v.name === variant);
    if (!chosen) throw new GlassbenchError('INVALID_INPUT', `${dir}: a run with variants (${names.join(', ')}): name one with --variant`);
    const values = new Map<string, number[]>();
    for (const round of chosen.rounds) {
      for (const [metric, list] of (await samplesFromDir(round.dir)).values) values.set(metric, [...(values.get(metric) ?? []), ...list]);
    }
    return { source: `${dir} (${chosen.name})`, runId: `${summary.runId}/${chosen.name}`, scenario: summary.scenario.name, status: chosen.status, startedAt: summary.startedAt, values };
  }
  if (variant !== undefined) throw new GlassbenchError('INVALID_INPUT', `${dir}: --variant ${variant}, but this run has no variants`);
  const sink = new SampleSink();
  await readFramesFile(framesPath, (record) => sink.push(record)).catch((error: unknown) => {
    throw new GlassbenchError('INVALID_INPUT', `${framesPath}: ${(error as Error).message}`);
  });
  return { source: dir, runId: summary.runId, scenario: summary.scenario.name, status: summary.status, startedAt: summary.startedAt, values: sink.values };
}
