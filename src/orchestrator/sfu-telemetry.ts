/**
 * What the run does with the reference SFU's telemetry stream: frame stamps go to the collector; the SFU's
 * seconds (CPU, event-loop delay; one process per SFU worker) and each AI device's are kept for the bottleneck
 * judge and the report; events a person should know are warned about (and counted as faults when an AI worker or
 * an SFU worker went away); the
 * translation chain's records wait for the speech join. Also the per-load-step latency trends.
 */
import type { AiDeviceSecond } from '../metrics/bottleneck.js';
import { FRAME_STAGE_METRICS } from '../metrics/catalogue.js';
import { nowMs } from '../metrics/clock.js';
import type { FrameCollector } from '../metrics/collector.js';
import { Trend, type TrendSummary } from '../metrics/histogram.js';
import type { ProcessUsageTracker } from '../metrics/saturation.js';
import type { MetricSeries } from '../metrics/series.js';
import type { FrameRecord } from '../metrics/types.js';
import type { SpeechRecord } from '../protocol/ai.js';
import type { SfuWorkerRecord, TelemetryRecord } from '../protocol/telemetry.js';
import { type RunSummary, sfuProcessName, type StageLatency } from '../report/summary.js';
import type { FaultLog } from './fault-log.js';
import type { LoadStep } from './schedule.js';
import type { RunEvent } from './types.js';

/** per-step latency in the summary and report: record field -> metric */

type SfuSecond = Extract<TelemetryRecord, { k: 'res' }>;
type AiDevices = NonNullable<RunSummary['ai']>['devices'];

interface SfuTelemetryOptions {
  series: MetricSeries;
  usage: ProcessUsageTracker;
  collector: FrameCollector;
  faults: FaultLog;
  emit: (event: RunEvent) => void;
  /** the load steps of the hold (ramping and arrival-rate executors) */
  loadSteps: LoadStep[];
  /** when the hold started, ms; 0 before it */
  holdStartMs: () => number;
  /** when the publishers' timetables ended, ms; 0 before the drain */
  sendingStoppedMs: () => number;
}

export class SfuTelemetry {
  /** the SFU's seconds (its `res` records) and each AI device's, for the bottleneck judge and the report */
  readonly sfuSeconds: SfuSecond[] = [];
  readonly aiSeconds: AiDeviceSecond[] = [];
  /** what the SFU reported a person should know (the external AI worker went away, came back) */
  readonly sfuEvents: string[] = [];
  /** translation chain: what the SFU did with each utterance */
  readonly speechRecords: SpeechRecord[] = [];
  /** translated speech (option B): when the SFU began playing each utterance's translation (`pub/n`) */
  readonly voiceStarts = new Map<string, number>();
  /** per AI device over the measured window: utilisation samples, calls, longest queue */
  private readonly aiDevices = new Map<
    string,
    { utilisationPct: number[]; gpuUtilisationPct: number[]; calls: number; maxQueue: number }
  >();
  /** why frames failed in the AI hook, and how many for each reason (the first few reasons) */
  readonly aiFailures = new Map<string, number>();
  /** a `res` record with `worker` arrived: the SFU runs workers, and its records without one are the HTTP front's */
  private workersSeen = false;
  /** load step index -> metric -> latency of the frames captured in that step */
  private readonly stepTrends = new Map<number, Map<string, Trend>>();

  constructor(private readonly options: SfuTelemetryOptions) {}

  private aiFailed(reason: string): void {
    const n = this.aiFailures.get(reason);
    if (n !== undefined || this.aiFailures.size < 8) this.aiFailures.set(reason, (n ?? 0) + 1);
  }

  onRecord(record: TelemetryRecord): void {
    const { series, usage, collector, emit, faults } = this.options;
    if (record.k === 'res') {
      this.onSfuSecond(record);
      usage.record(sfuProcessName(record.worker), record, 'system');
    } else if (record.k === 'worker') {
      this.onWorker(record);
    } else if (record.k === 'event') {
      emit({ type: 'warning', message: `SFU: ${record.message}` });
      this.sfuEvents.push(record.message);
      if (/went away|failed|exited/.test(record.message))
        faults.record(
          `SFU: ${record.message}`,
          [],
          false,
          'calls in flight failed (frames_failed_ai); the SFU restarts the worker',
        );
    } else if (record.k === 'speech') {
      this.speechRecords.push(record);
    } else if (record.k === 'voice') {
      this.voiceStarts.set(`${record.pub}/${record.n}`, record.ms);
    } else if (record.k === 'dev') {
      if (!this.inWindow(record.ms)) return;
      for (const d of record.devices) {
        series.record('ai_device_utilisation_pct', d.utilisationPct, { device: d.name });
        const acc = this.aiDevices.get(d.name) ?? { utilisationPct: [], gpuUtilisationPct: [], calls: 0, maxQueue: 0 };
        acc.utilisationPct.push(d.utilisationPct);
        if (d.gpuUtilisationPct !== undefined) acc.gpuUtilisationPct.push(d.gpuUtilisationPct);
        acc.calls += d.calls;
        acc.maxQueue = Math.max(acc.maxQueue, d.queueLength);
        this.aiSeconds.push({
          ms: record.ms,
          name: d.name,
          utilisationPct: d.utilisationPct,
          queueLength: d.queueLength,
        });
        this.aiDevices.set(d.name, acc);
      }
    } else {
      if (record.k === 'ai' && record.outcome === 'failed') this.aiFailed(record.reason ?? 'no reason given');
      collector.onTelemetry(record, nowMs());
    }
  }

  /** Adds a measured frame's latencies to the trends of the load step it was captured in. */
  recordStepLatency(record: FrameRecord): void {
    const holdStartMs = this.options.holdStartMs();
    if (record.warmup || record.captureMs === undefined || holdStartMs <= 0) return;
    const t = record.captureMs - holdStartMs;
    const step = this.options.loadSteps.find((s) => t >= s.startMs && t < s.endMs);
    if (!step) return;
    const trends =
      this.stepTrends.get(step.index) ??
      (this.stepTrends.set(step.index, new Map()).get(step.index) as Map<string, Trend>);
    for (const { field, metric } of FRAME_STAGE_METRICS) {
      const value = record[field];
      if (typeof value !== 'number') continue;
      (trends.get(metric) ?? trends.set(metric, new Trend()).get(metric))?.record(value);
    }
  }

  /** The latency of the frames captured in one load step, per metric. */
  stepLatency(stepIndex: number): Record<string, StageLatency> {
    const latency: Record<string, StageLatency> = {};
    for (const [metric, trend] of this.stepTrends.get(stepIndex) ?? [])
      latency[metric] = { count: trend.count, p50: trend.percentile(50), p95: trend.percentile(95) };
    return latency;
  }

  /** Each AI device over the measured window: mean utilisation, calls, longest queue. */
  aiDeviceSummary(): AiDevices {
    const devices: AiDevices = {};
    const mean = (values: number[]): number =>
      Math.round((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)) * 10) / 10;
    for (const [name, acc] of this.aiDevices) {
      devices[name] = { utilisationPct: mean(acc.utilisationPct), calls: acc.calls, maxQueue: acc.maxQueue };
      if (acc.gpuUtilisationPct.length > 0) devices[name].gpuUtilisationPct = mean(acc.gpuUtilisationPct);
    }
    return devices;
  }

  /**
   * One second of the SFU: kept for the bottleneck judge and the report; over the measured window its event-loop
   * delay (the time a datagram can wait unread, which no stage stamp sees) is recorded beside the stages.
   */
  private onSfuSecond(record: SfuSecond): void {
    this.sfuSeconds.push(record);
    if (record.worker !== undefined) this.workersSeen = true;
    if (!this.inWindow(record.ms)) return;
    // with workers, the HTTP front reads no media: its loop delay delays no datagram (it stays in loop_delay_ms)
    if (record.worker !== undefined || !this.workersSeen)
      this.options.series.record('sfu_loop_delay_ms', record.loopDelayP99Ms, {});
    this.options.series.record('loop_delay_ms', record.loopDelayP99Ms, { process: sfuProcessName(record.worker) });
  }

  /**
   * A worker of a multi-worker SFU exited (its sessions ended with it: a fault, not the end of the run; the SFU
   * restarts it) or came back.
   */
  private onWorker(record: SfuWorkerRecord): void {
    const { emit, faults } = this.options;
    const name = sfuProcessName(record.worker);
    if (record.state === 'exited') {
      const what = `SFU worker ${record.worker} (${name}, pid ${record.pid}) exited (${record.reason ?? 'no reason given'})`;
      const c = record.closed;
      const cost = c
        ? `its sessions ended: ${c.rooms} room(s), ${c.publishers} publisher(s), ${c.subscribers} subscriber(s); the SFU restarts the worker`
        : 'its sessions ended; the SFU restarts the worker';
      emit({ type: 'warning', message: `${what}: ${cost}` });
      this.sfuEvents.push(`${what}: ${cost}`);
      // the SFU knows its sessions, not the run's peer ids: the cost text carries the counts
      faults.record(what, [], false, cost);
    } else if ((record.restarts ?? 0) > 0) {
      const message = `SFU worker ${record.worker} (${name}) is back (pid ${record.pid}, restart ${record.restarts}); new rooms may be placed on it`;
      emit({ type: 'warning', message });
      this.sfuEvents.push(message);
    }
  }

  private inWindow(ms: number): boolean {
    const stoppedMs = this.options.sendingStoppedMs();
    return !(ms < this.options.collector.measureFromMs || (stoppedMs > 0 && ms > stoppedMs));
  }
}

/** The reference SFU's per-packet fan-out time (its `/stats`), or null when it cannot be read. */
export async function fetchForwardStats(baseUrl: string): Promise<TrendSummary | null> {
  try {
    const response = await fetch(`${baseUrl}/stats`, { signal: AbortSignal.timeout(2000) });
    return ((await response.json()) as { forwardMs: TrendSummary | null }).forwardMs;
  } catch {
    return null;
  }
}
