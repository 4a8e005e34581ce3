/**
 * Scenarios with `variants` (e.g. the same call with the AI at the edge and in the cloud): each variant runs
 * as a complete run of its own, `rounds` times, interleaved round by round by default so that drift of the
 * machine spreads over all variants alike, all under one run id. Each round writes its files to
 * `variants/<name>-r<k>/` with a `variant` tag on every record and point; the run's own summary.json puts the
 * variants side by side, each with its metrics over all its rounds.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { samplesFromDir } from '../compare/samples.js';
import { abortedError } from '../errors.js';
import { type MetricName, METRICS } from '../metrics/catalogue.js';
import { nowMs } from '../metrics/clock.js';
import { Trend, type TrendSummary } from '../metrics/histogram.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';
import { isCounterSummary, isRateSummary, sumCounters, sumRates } from '../report/merge-metrics.js';
import { meanCpuByKind, type RunStatus, type RunSummary, type VariantSummary } from '../report/summary.js';
import type { Scenario, Variant } from '../scenario/types.js';
import { umbrellaHeader, writeRunFiles } from './run-files.js';
import { runScenario } from './runner.js';
import type { RunOptions, RunResult } from './types.js';

/** worst first: a variant's (and the run's) status is the worst of its rounds */
const SEVERITY: RunStatus[] = ['error', 'aborted', 'failed', 'passed'];
const worst = (statuses: RunStatus[]): RunStatus => SEVERITY.find((s) => statuses.includes(s)) ?? 'passed';

/** The order rounds run in: interleaved `a b a b`, or sequential `a a b b`. */
export function variantOrder(
  variants: Variant[],
  rounds: number,
  order: 'sequential' | 'interleaved',
): { variant: Variant; round: number }[] {
  const out: { variant: Variant; round: number }[] = [];
  if (order === 'interleaved')
    for (let r = 1; r <= rounds; r += 1) for (const variant of variants) out.push({ variant, round: r });
  else for (const variant of variants) for (let r = 1; r <= rounds; r += 1) out.push({ variant, round: r });
  return out;
}

/** Runs a scenario, or each of its variants' rounds and the side-by-side summary. */
export async function runWithVariants(options: RunOptions): Promise<RunResult> {
  const { scenario } = options;
  if (!scenario.variants || scenario.variants.length === 0) return runScenario(options);
  await mkdir(options.outDir, { recursive: true });
  const startedMs = nowMs();
  const plan = variantOrder(scenario.variants, scenario.rounds ?? 1, scenario.order ?? 'interleaved');
  const results: { variant: Variant; round: number; dir: string; summary: RunSummary }[] = [];
  for (const [i, { variant, round }] of plan.entries()) {
    if (options.signal?.aborted) break;
    const dir = join(options.outDir, 'variants', `${variant.name}-r${round}`);
    options.onEvent?.({
      type: 'phase',
      phase: 'starting',
      message: `variant ${variant.name}, round ${round} of ${scenario.rounds ?? 1} (${i + 1}/${plan.length})`,
    });
    const one: Scenario = { ...scenario, ai: variant.ai, sfu: variant.sfu };
    delete one.variants;
    const result = await runScenario({ ...options, scenario: one, outDir: dir, variant: variant.name });
    results.push({ variant, round, dir, summary: result.summary });
  }
  const summary = await combine(options, scenario, results, startedMs);
  return writeRunFiles(options.outDir, summary, options.onEvent);
}

/**
 * Every counter and Rate of the rounds, summed: counters' rates over the rounds' summed measured time (they
 * ran one after another), Rates' count and hits added and the fraction computed again.
 */
export function sumRoundCounts(
  rounds: Pick<RunSummary, 'metrics' | 'durationMs'>[],
): Record<string, CounterSummary | RateSummary> {
  const measuredS = rounds.reduce((s, r) => s + r.durationMs, 0) / 1000;
  const out: Record<string, CounterSummary | RateSummary> = {};
  for (const metric of METRICS) {
    const parts = rounds.map((r) => r.metrics[metric.name]).filter((m) => m !== undefined);
    if (parts.length === 0) continue;
    if (metric.kind === 'rate') out[metric.name] = sumRates(parts.filter(isRateSummary));
    else if (metric.kind === 'counter') out[metric.name] = sumCounters(parts.filter(isCounterSummary), measuredS);
  }
  return out;
}

function trendOf(values: number[]): TrendSummary | null {
  const trend = new Trend();
  for (const v of values) trend.record(v);
  return trend.summary();
}

/** Each tagged threshold's series from the round that decided its verdict: the first that failed it, else the last. */
function submetricsOf(rounds: RunSummary[]): Pick<VariantSummary, 'submetrics'> {
  const submetrics: NonNullable<VariantSummary['submetrics']> = {};
  for (const key of new Set(rounds.flatMap((r) => Object.keys(r.submetrics ?? {})))) {
    const deciding = rounds.find((r) => r.thresholds[key]?.some((t) => !t.ok)) ?? rounds.at(-1);
    const series = deciding?.submetrics?.[key];
    if (series) submetrics[key] = series;
  }
  return Object.keys(submetrics).length > 0 ? { submetrics } : {};
}

async function combine(
  options: RunOptions,
  scenario: Scenario,
  results: { variant: Variant; round: number; dir: string; summary: RunSummary }[],
  startedMs: number,
): Promise<RunSummary> {
  const first = results[0]?.summary;
  const variants: VariantSummary[] = [];
  const thresholds: RunSummary['thresholds'] = {};
  for (const variant of scenario.variants ?? []) {
    const rounds = results.filter((r) => r.variant.name === variant.name);
    if (rounds.length === 0) continue;
    const all = new Map<MetricName, number[]>();
    for (const r of rounds) {
      for (const [metric, values] of (await samplesFromDir(r.dir)).values)
        all.set(metric, [...(all.get(metric) ?? []), ...values]);
    }
    const metrics: VariantSummary['metrics'] = {};
    for (const [metric, values] of all) {
      const trend = trendOf(values);
      if (trend) metrics[metric] = trend;
    }
    Object.assign(metrics, sumRoundCounts(rounds.map((r) => r.summary)));
    const cpuPctMean = meanCpuByKind(rounds.map((r) => r.summary.processes));
    for (const r of rounds) {
      for (const [key, list] of Object.entries(r.summary.thresholds))
        (thresholds[`${variant.name}: ${key}`] ??= []).push(...list);
    }
    variants.push({
      name: variant.name,
      status: worst(rounds.map((r) => r.summary.status)),
      placement: variant.ai.placement,
      rounds: rounds.map((r) => ({
        dir: r.dir,
        status: r.summary.status,
        startedAt: r.summary.startedAt,
        durationMs: r.summary.durationMs,
      })),
      metrics,
      ...submetricsOf(rounds.map((r) => r.summary)),
      cpuPctMean,
      saturated: rounds.some((r) => r.summary.saturated),
      notes: [...new Set(rounds.flatMap((r) => r.summary.notes))],
    });
  }
  const endedMs = nowMs();
  const status = options.signal?.aborted ? 'aborted' : worst(variants.map((v) => v.status));
  const summary: RunSummary = {
    ...umbrellaHeader(first, scenario, { runId: options.runId, status, startedMs, endedMs, rooms: scenario.rooms }),
    saturated: variants.some((v) => v.saturated),
    processes: {},
    peers: first?.peers ?? { planned: 0, connected: 0, failed: [] },
    metrics: {},
    thresholds,
    notes: [
      `variants ${variants.map((v) => v.name).join(', ')}: ${scenario.rounds ?? 1} round(s) each, ${scenario.order ?? 'interleaved'}; each round's files are in variants/<name>-r<k>/`,
    ],
    variants,
  };
  if (status === 'aborted') summary.error = abortedError(options.signal);
  return summary;
}
