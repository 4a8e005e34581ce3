/**
 * Sets up what the parts of a run share (run-context.ts): the series with the scenario's thresholds, the fault
 * log, the sinks (frames file, InfluxDB), the process usage tracker, the collector and the SFU's telemetry.
 */
import { join } from 'node:path';

import { AvSyncJoin } from '../metrics/av-sync.js';
import { nowMs } from '../metrics/clock.js';
import { FrameCollector, type PeerInfo } from '../metrics/collector.js';
import { Trend } from '../metrics/histogram.js';
import { ProcessUsageTracker } from '../metrics/saturation.js';
import { MetricSeries } from '../metrics/series.js';
import { LOOPBACK_NETWORK } from '../protocol/peer-network.js';
import { SinkFanOut } from '../sinks/fan-out.js';
import { FramesFile } from '../sinks/frames-file.js';
import type { InfluxSink } from '../sinks/influx-sink.js';
import { FaultLog } from './fault-log.js';
import { PeerTracker } from './peer-tracker.js';
import type { Plan } from './plan.js';
import type { RunContext } from './run-context.js';
import { openInfluxSink } from './run-outputs.js';
import type { LoadStep } from './schedule.js';
import { SfuTelemetry } from './sfu-telemetry.js';
import type { RunOptions } from './types.js';

export function createRunContext(
  options: RunOptions,
  plan: Plan,
  loadSteps: LoadStep[],
): { ctx: RunContext; influx: InfluxSink | undefined } {
  const { scenario } = options;
  const emit = options.onEvent ?? (() => undefined);
  const startedMs = nowMs();
  const series = new MetricSeries(scenario.thresholds);
  const peerInfo = new Map<string, PeerInfo>(plan.peers.map((p) => [p.peerId, { room: p.room, kind: p.kind }]));
  const faults = new FaultLog({
    startedMs,
    durationMs: scenario.durationMs,
    holdStartMs: () => ctx.holdStartMs,
  });
  const influx = options.influx ? openInfluxSink(options, options.influx, emit, faults) : undefined;
  const sinks = new SinkFanOut([new FramesFile(join(options.outDir, 'frames.ndjson.gz')), influx]);
  const usage = new ProcessUsageTracker(series, (process, ms, fields) => sinks.writeResources(process, ms, fields));
  const avSync = new AvSyncJoin((metric, value, tags) => series.record(metric, value, tags));
  const collector = new FrameCollector(series, peerInfo, (record) => {
    if (options.variant) record.variant = options.variant;
    avSync.onFrame(record); // before it is written: a marker frame gets its avSyncMs
    ctx.telemetry.recordStepLatency(record);
    sinks.writeFrame(record);
  });
  collector.aiBudgetMs = scenario.ai.budgetMs;
  const telemetry = new SfuTelemetry({
    series,
    usage,
    collector,
    faults,
    emit,
    loadSteps,
    holdStartMs: () => ctx.holdStartMs,
    sendingStoppedMs: () => ctx.sendingStoppedMs,
  });
  const ctx: RunContext = {
    options,
    scenario,
    emit,
    series,
    usage,
    collector,
    avSync,
    peerInfo,
    faults,
    telemetry,
    sinks,
    startedMs,
    plan: plan.peers,
    subscriberSlots: plan.allPeers.filter((p) => p.role === 'subscriber'),
    peers: new PeerTracker(plan.peers.map((p) => p.peerId)),
    streams: new Map(),
    speech: { utterances: [], subtitles: [], onsets: [], publisherByStream: new Map() },
    recent: { frames: 0, latency: new Trend() },
    outageSinceMs: undefined,
    notes: [],
    holdStartMs: 0,
    sendingStoppedMs: 0,
    sfu: undefined,
    clock: undefined,
    network: undefined,
    peerNetwork: LOOPBACK_NETWORK,
    runners: [],
    closing: false,
    connecting: new Set(),
  };
  return { ctx, influx };
}
