/** Assembles summary.json from what a run measured, and evaluates the thresholds. */
import { cpus } from 'node:os';

import { evaluateThreshold } from '../budgets/evaluate.js';
import type { ThresholdResult } from '../budgets/types.js';
import type { MetricSeries } from '../metrics/series.js';
import { glassbenchCommit, glassbenchVersion } from '../project-paths.js';
import type { Scenario, Target } from '../scenario/types.js';
import {
  type ProcessUsage,
  type RunError,
  type RunStatus,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
} from './summary.js';

export function evaluateThresholds(scenario: Scenario, series: MetricSeries): Record<string, ThresholdResult[]> {
  const out: Record<string, ThresholdResult[]> = {};
  for (const spec of scenario.thresholds) {
    (out[spec.key] ??= []).push(evaluateThreshold(spec, series.values(spec.metric, spec.tags)));
  }
  return out;
}

/** Each tagged threshold key's series (k6's sub-metrics: `frame_latency_ms{room:r1}`); undefined when none. */
function submetricsOf(scenario: Scenario, series: MetricSeries): RunSummary['submetrics'] {
  const out: NonNullable<RunSummary['submetrics']> = {};
  for (const spec of scenario.thresholds) {
    if (Object.keys(spec.tags).length === 0) continue;
    const summary = series.summaryOf(spec.metric, spec.tags);
    if (summary) out[spec.key] = summary;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export interface SummaryInput {
  runId: string;
  scenario: Scenario;
  series: MetricSeries;
  startedMs: number;
  endedMs: number;
  processes: Record<string, ProcessUsage>;
  saturated: boolean;
  peers: RunSummary['peers'];
  notes: string[];
  /** set when the run ended early */
  ending?: RunError & { status: 'aborted' | 'error' };
}

export function buildSummary(input: SummaryInput): RunSummary {
  const { scenario, series } = input;
  const thresholds = evaluateThresholds(scenario, series);
  const allOk = Object.values(thresholds).every((list) => list.every((t) => t.ok));
  const status: RunStatus = input.ending?.status ?? (allOk ? 'passed' : 'failed');
  const cpuList = cpus();
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: input.runId,
    status,
    scenario: {
      name: scenario.name,
      file: scenario.sourcePath,
      durationMs: scenario.durationMs,
      rooms: scenario.rooms,
      target: targetName(scenario.target),
      addDelayMs: scenario.sfu.addDelayMs,
      ...(scenario.sfu.addAudioDelayMs ? { addAudioDelayMs: scenario.sfu.addAudioDelayMs } : {}),
      ...(scenario.sfu.burnCpuMsPerFrame > 0 ? { burnCpuMsPerFrame: scenario.sfu.burnCpuMsPerFrame } : {}),
    },
    environment: {
      glassbenchVersion: glassbenchVersion(),
      glassbenchCommit: glassbenchCommit(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      clockOffsetMs: 0,
      clockUncertaintyMs: 0,
    },
    startedAt: new Date(input.startedMs).toISOString(),
    endedAt: new Date(input.endedMs).toISOString(),
    durationMs: Math.round(input.endedMs - input.startedMs),
    saturated: input.saturated,
    processes: input.processes,
    peers: input.peers,
    metrics: series.summaries(),
    thresholds,
    notes: input.notes,
  };
  const submetrics = submetricsOf(scenario, series);
  if (submetrics) summary.submetrics = submetrics;
  if (input.ending) {
    const { code, message, signal } = input.ending;
    summary.error = { code, message, ...(signal ? { signal } : {}) };
  }
  return summary;
}

/** The summary's name for the target: `reference`, the WHIP URL, or the Janus API URL with its first room. */
function targetName(target: Target): string {
  if (target.type === 'reference') return 'reference';
  return target.type === 'janus' ? `${target.url} room ${target.room}` : target.whipUrl;
}
