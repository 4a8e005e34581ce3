/**
 * `glassbench capacity <scenario>`: the most concurrent calls that still meet every budget. A call is one room
 * of the scenario's topology (its peer groups); each load step is a complete run with that many rooms under
 * constant load, in `steps/<n>-calls/`. The search (capacity-search.ts) raises the load until a step fails;
 * the knee is the largest passing load below the first failure. A step whose load generator saturated is never
 * the knee nor its failure: the search stops there and reports the harness limit. The run's summary and report
 * hold the curve: p95 latency and CPU against load.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { abortedError, GlassbenchError } from '../errors.js';
import { nowMs } from '../metrics/clock.js';
import type { TrendSummary } from '../metrics/histogram.js';
import { saturationAdvice } from '../metrics/saturation.js';
import { type CapacityStep, type CapacitySummary, meanCpuByKind, type RunSummary } from '../report/summary.js';
import type { Scenario } from '../scenario/types.js';
import { kneeOf, searchCapacity, type StepVerdict } from './capacity-search.js';
import { umbrellaHeader, writeRunFiles } from './run-files.js';
import { runScenario } from './runner.js';
import type { RunOptions, RunResult } from './types.js';

export interface CapacityOptions {
  start: number;
  step: number;
  max: number;
  /** each step's measured time; default the scenario's duration */
  stepDurationMs?: number;
  search: 'step' | 'bisect';
}

/** metrics whose p95 the curve shows (those present in a step) */
const CURVE_METRICS = ['g2g_latency_ms', 'frame_latency_ms', 'sfu_ms', 'ai_hook_ms', 'ai_inference_ms', 'ai_queue_ms'];

export function checkCapacityOptions(scenario: Scenario, o: CapacityOptions): void {
  const bad = (flag: string, why: string): never => {
    throw new GlassbenchError('INVALID_INPUT', `--${flag}: ${why}`);
  };
  if (!Number.isInteger(o.start) || o.start < 1)
    bad('start', `must be a whole number of calls, 1 or more, got ${o.start}`);
  if (!Number.isInteger(o.step) || o.step < 1) bad('step', `must be a whole number of calls, 1 or more, got ${o.step}`);
  if (!Number.isInteger(o.max) || o.max < o.start)
    bad('max', `must be a whole number of calls, at least --start (${o.start}), got ${o.max}`);
  if (o.max > 1000) bad('max', 'at most 1000 calls');
  if (scenario.executor.type !== 'constant-peers')
    throw new GlassbenchError(
      'INVALID_INPUT',
      `${scenario.sourcePath}: capacity sets the load itself (rooms per step): remove executor (${scenario.executor.type})`,
    );
  if (scenario.variants)
    throw new GlassbenchError(
      'INVALID_INPUT',
      `${scenario.sourcePath}: capacity runs one configuration: remove variants`,
    );
  if (scenario.thresholds.length === 0)
    throw new GlassbenchError(
      'INVALID_INPUT',
      `${scenario.sourcePath}: capacity needs thresholds: the knee is where one first fails`,
    );
}

export async function runCapacity(options: RunOptions, capacity: CapacityOptions): Promise<RunResult> {
  const { scenario } = options;
  checkCapacityOptions(scenario, capacity);
  await mkdir(options.outDir, { recursive: true });
  const startedMs = nowMs();
  const steps: CapacityStep[] = [];
  const summaries = new Map<number, RunSummary>();
  const headline = scenario.peers.some((g) => g.role === 'subscriber' && g.kind === 'browser')
    ? 'g2g_latency_ms'
    : 'frame_latency_ms';
  const perCall = scenario.peers.reduce((sum, g) => sum + g.count, 0);

  const measure = async (calls: number): Promise<CapacityStep> => {
    const done = steps.find((s) => s.calls === calls);
    if (done) return done;
    const dir = join(options.outDir, 'steps', `${calls}-calls`);
    options.onEvent?.({
      type: 'phase',
      phase: 'starting',
      message: `capacity: ${calls} call(s), ${calls * perCall} peers (step ${steps.length + 1})`,
    });
    const one: Scenario = {
      ...scenario,
      rooms: calls,
      // one runner per 100 peers, and at least the scenario's `runners` (what a harness limit asks to raise)
      runners: Math.max(scenario.runners, Math.ceil((calls * perCall) / 100)),
      durationMs: capacity.stepDurationMs ?? scenario.durationMs,
    };
    const result = await runScenario({
      ...options,
      scenario: one,
      outDir: dir,
      runId: `${options.runId}-${calls}calls`,
    });
    const s = result.summary;
    summaries.set(calls, s);
    const p95: Record<string, number | null> = {};
    for (const metric of CURVE_METRICS) {
      const m = s.metrics[metric] as TrendSummary | undefined;
      if (m && typeof m.p95 === 'number') p95[metric] = m.p95;
    }
    const cpu = meanCpuByKind([s.processes]);
    const step: CapacityStep = {
      calls,
      peers: calls * perCall,
      status: s.status,
      passed: s.status === 'passed',
      p95,
      sfuCpuPct: cpu['sfu'] ?? null,
      runnerCpuPct: cpu['runner'] ?? null,
      failedThresholds: Object.entries(s.thresholds).flatMap(([key, list]) =>
        list.filter((r) => !r.ok).map((r) => `${key} ${r.expr}`),
      ),
      saturated: s.saturated,
      dir,
    };
    if (s.saturation && s.saturation.reasons.length > 0)
      step.saturationReasons = s.saturation.reasons.map((r) => r.text);
    steps.push(step);
    steps.sort((a, b) => a.calls - b.calls);
    const verdictText = step.saturated
      ? `SATURATED (${s.saturation?.reasons.map((r) => `${r.process} ${r.measure}`).join(', ') ?? 'load generator'})`
      : step.passed
        ? 'pass'
        : `FAIL (${step.failedThresholds.join(', ') || s.error?.message || s.status})`;
    options.onEvent?.({
      type: 'phase',
      phase: 'running',
      message: `capacity: ${calls} call(s): ${verdictText}, ${headline} p95 ${p95[headline]?.toFixed(1) ?? '-'} ms, SFU CPU ${step.sfuCpuPct ?? '-'}%`,
    });
    return step;
  };

  const verdict = (step: CapacityStep): StepVerdict =>
    step.status === 'error' || step.status === 'aborted'
      ? 'broken'
      : step.saturated
        ? 'saturated'
        : step.passed
          ? 'pass'
          : 'fail';
  const outcome = await searchCapacity(
    capacity,
    async (calls) => verdict(await measure(calls)),
    () => options.signal?.aborted === true,
  );
  const result: CapacitySummary = {
    knee: kneeOf(outcome),
    firstFailure: outcome.firstFail,
    search: capacity.search,
    steps,
    headline,
  };
  if (outcome.harnessLimit !== null) {
    result.harnessLimit = {
      calls: outcome.harnessLimit,
      lastPass: outcome.lastPass,
      reasons: summaries.get(outcome.harnessLimit)?.saturation?.reasons ?? [],
    };
  }
  const summary = combine(options, scenario, result, summaries, startedMs);
  return writeRunFiles(options.outDir, summary, options.onEvent);
}

function combine(
  options: RunOptions,
  scenario: Scenario,
  capacity: CapacitySummary,
  summaries: Map<number, RunSummary>,
  startedMs: number,
): RunSummary {
  // the knee's own measurements, or those of the last valid pass below a harness limit
  const shown = capacity.knee ?? capacity.harnessLimit?.lastPass ?? null;
  const kneeRun = shown !== null ? summaries.get(shown) : undefined;
  const first = kneeRun ?? [...summaries.values()][0];
  const endedMs = nowMs();
  const broken = capacity.steps.find((s) => s.status === 'error' || s.status === 'aborted');
  const notes: string[] = [];
  const limit = capacity.harnessLimit;
  const limitRun = limit ? summaries.get(limit.calls) : undefined;
  const advice = limitRun?.saturation
    ? saturationAdvice(limitRun.saturation)
    : 'add runners (`runners:`), or split the run over machines with --shard';
  if (limit && capacity.firstFailure === null) {
    const passed = limit.lastPass !== null ? `every threshold held up to ${limit.lastPass} call(s); ` : '';
    notes.push(
      `capacity: the load generator saturated at ${limit.calls} call(s) before any threshold failed: ${passed}this is the harness's limit, not the system's (no knee): ${advice}`,
    );
  } else if (capacity.knee === null && capacity.firstFailure !== null)
    notes.push(`capacity: even ${capacity.firstFailure} call(s) failed a threshold: no knee at or above --start`);
  else if (capacity.firstFailure === null && !broken)
    notes.push(`capacity: every step up to ${capacity.knee} call(s) passed: the knee is at least that (raise --max)`);
  else if (capacity.knee !== null)
    notes.push(`capacity: the knee is ${capacity.knee} call(s) (${capacity.firstFailure} failed)`);
  if (limit && capacity.firstFailure !== null)
    notes.push(
      `capacity: the load generator saturated at ${limit.calls} call(s) while narrowing the knee, so it is known only to lie between ${capacity.knee ?? 0} and ${capacity.firstFailure} call(s): ${advice}`,
    );
  if (broken)
    notes.push(`capacity: the step with ${broken.calls} call(s) ended ${broken.status}; the search stopped there`);
  // exit codes (docs/outputs.md, CI gating): 99 only when a threshold failed unsaturated with no pass below it; a harness
  // limit before any failure is 0 with its note, and junit.xml's "load generator not saturated" case fails
  const status = options.signal?.aborted
    ? 'aborted'
    : broken
      ? broken.status
      : capacity.knee === null && capacity.firstFailure !== null
        ? 'failed'
        : 'passed';
  const summary: RunSummary = {
    ...umbrellaHeader(first, scenario, { runId: options.runId, status, startedMs, endedMs, rooms: 0 }),
    saturated: [...summaries.values()].some((s) => s.saturated),
    processes: kneeRun?.processes ?? {},
    peers: first?.peers ?? { planned: 0, connected: 0, failed: [] },
    // the knee's own measurements: what the system does at the most load it bears
    metrics: kneeRun?.metrics ?? {},
    ...(kneeRun?.submetrics ? { submetrics: kneeRun.submetrics } : {}),
    thresholds: kneeRun?.thresholds ?? {},
    notes,
    capacity,
  };
  if (limitRun?.saturation) summary.saturation = limitRun.saturation;
  if (status === 'aborted') summary.error = abortedError(options.signal);
  else if (broken)
    summary.error = { code: 'RUN_FAILED', message: `the step with ${broken.calls} call(s) ended ${broken.status}` };
  return summary;
}
