/**
 * `/metrics` of a multi-worker SFU: every series once per process, labelled `worker` (`front`, `0`..`N-1`), and
 * once without the label: the total over all processes, aggregated as prom-client's cluster support does (sums;
 * averages or the first value where a metric says so), which is what a one-process SFU reports.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';

import { Trend, type TrendSummary } from '../../src/metrics/histogram.js';
import type { MetricsResult, StatsResult } from './ipc.js';
import type { Worker } from './workers.js';

const GATHER_TIMEOUT_MS = 2000;

/** The front's own registry and every worker's, as one `/metrics` text. */
export async function gatherMetrics(
  front: Registry,
  workers: Worker[],
): Promise<{ contentType: string; text: string }> {
  const perProcess: { label: string; metrics: MetricsResult }[] = [
    { label: 'front', metrics: await front.getMetricsAsJSON() },
  ];
  const answers = await Promise.all(
    workers.map((w) =>
      w.ready ? w.request<MetricsResult>({ op: 'metrics' }, GATHER_TIMEOUT_MS).catch(() => undefined) : undefined,
    ),
  );
  answers.forEach((metrics, i) => {
    if (metrics) perProcess.push({ label: String(i), metrics });
  });
  return { contentType: front.contentType, text: await mergeMetrics(perProcess).metrics() };
}

/** Every worker's fan-out times, one distribution. */
export async function gatherForwardTimes(workers: Worker[]): Promise<TrendSummary | null> {
  const forward = new Trend();
  const answers = await Promise.all(
    workers.map((w) =>
      w.ready ? w.request<StatsResult>({ op: 'stats' }, GATHER_TIMEOUT_MS).catch(() => undefined) : undefined,
    ),
  );
  for (const answer of answers) if (answer) forward.merge(answer.forward);
  return forward.summary();
}

function mergeMetrics(perProcess: { label: string; metrics: MetricsResult }[]): Registry {
  const labelled = perProcess.map(({ label, metrics }) =>
    metrics.map((m) => ({ ...m, values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker: label } })) })),
  );
  return AggregatorRegistry.aggregate([...labelled, ...perProcess.map((p) => p.metrics)]);
}
