/**
 * The run's outputs, once it has closed: the speech join, the notes a person should read, the bottleneck and
 * saturation judges, then summary.json (also to every sink), utterances.ndjson, junit.xml and report.html.
 * frames.ndjson.gz is written as the run goes and closed here.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { judgeBottleneck } from '../metrics/bottleneck.js';
import { nowMs } from '../metrics/clock.js';
import { CROSS_HOST_METRICS } from '../metrics/clock-offset.js';
import type { TrendSummary } from '../metrics/histogram.js';
import { saturationBrief } from '../metrics/saturation.js';
import type { LinkCounts } from '../network/links.js';
import { buildSummary } from '../report/build-summary.js';
import {
  bottleneckWho,
  type LoadSummary,
  type RunError,
  type RunSummary,
  type StartAtSummary,
} from '../report/summary.js';
import { InfluxSink } from '../sinks/influx-sink.js';
import type { InfluxOptions } from '../sinks/types.js';
import type { ClockSync } from './clock-sync.js';
import type { Executors } from './executors.js';
import type { FaultLog } from './fault-log.js';
import { groupPeerErrors } from './peer-errors.js';
import type { RunContext } from './run-context.js';
import { writeRunFiles } from './run-files.js';
import type { LoadStep } from './schedule.js';
import { joinSpeech } from './speech-join.js';
import type { RunEvent, RunOptions, RunResult } from './types.js';

export interface RunEnding extends RunError {
  status: 'aborted' | 'error';
}

/** What the lifecycle hands over besides the shared context. */
interface OutputInput {
  /** how the run ended when it did not run its course */
  ending: RunEnding | undefined;
  executors: Executors;
  loadSteps: LoadStep[];
  timeline: LoadSummary['timeline'];
  influx: InfluxSink | undefined;
  /** whether the machine's CPU could be read (/proc/stat) */
  machineCpuRead: boolean;
  /** the SFU's per-packet fan-out time (its `/stats`), read before it stopped */
  sfuForwardMs: TrendSummary | null;
  networkCounts: Record<string, { uplink: LinkCounts; downlink: LinkCounts } | undefined>;
  /** `--start-at`: how the wait for the start instant went, once it was reached */
  startAt?: StartAtSummary;
}

export async function writeOutputs(ctx: RunContext, input: OutputInput): Promise<RunResult> {
  const { scenario, options, notes, telemetry } = ctx;
  ctx.emit({ type: 'phase', phase: 'writing', message: `writing results to ${options.outDir}` });
  if (scenario.browser.wsEndpoint && ctx.plan.some((p) => p.kind === 'browser')) {
    notes.push(
      'browsers connected through browser.wsEndpoint run outside this run: their CPU is not measured, so their saturation is not judged',
    );
  }
  const speech = scenario.ai.speech && scenario.ai.placement === 'cloud' ? recordSpeech(ctx) : undefined;
  recordFirstAudio(ctx);
  noteAi(ctx);
  for (const fault of ctx.faults.faults)
    notes.push(`fault at ${(fault.atMs / 1000).toFixed(1)} s: ${fault.what}; ${fault.cost}`);
  const bottleneck = bottleneckOf(ctx);
  if (!input.machineCpuRead)
    notes.push("the machine's CPU is not read on this platform (no /proc/stat): machine-wide saturation is not judged");
  const saturation = ctx.usage.judge();
  if (saturation.reasons.length > 0)
    notes.push(
      `saturated: ${saturationBrief(saturation)}; these numbers measure the load generator, not the system (summary.saturation has each line crossed, by how much and for how long)`,
    );
  const errors = groupPeerErrors(ctx.peers.errors);
  const summary = buildSummary({
    runId: options.runId,
    scenario,
    series: ctx.series,
    startedMs: ctx.startedMs,
    endedMs: nowMs(),
    processes: ctx.usage.snapshot(),
    saturated: saturation.reasons.length > 0,
    peers: {
      planned: ctx.plan.length,
      connected: ctx.peers.connected,
      failed: ctx.peers.failures,
      ...(errors ? { errors } : {}),
    },
    notes,
    ...(input.ending ? { ending: input.ending } : {}),
  });
  summary.accounting = ctx.collector.accounting.summary();
  if (ctx.clock) recordClock(ctx, summary);
  summary.identity = ctx.collector.identity.summary();
  summary.saturation = saturation;
  // the built-in SFU, or a remote reference SFU whose telemetry brought its seconds (its CPU is the whole SFU's,
  // every shard's load on it together)
  if (sfuSeen(ctx))
    summary.sfu = {
      forwardMs: input.sfuForwardMs,
      seconds: telemetry.sfuSeconds.map((s) => ({
        tMs: Math.round(s.ms - ctx.startedMs),
        cpuPct: Math.round(s.cpuPct * 10) / 10,
        loopDelayP99Ms: Math.round(s.loopDelayP99Ms * 10) / 10,
        ...(s.worker !== undefined ? { worker: s.worker } : {}),
      })),
    };
  if (bottleneck) summary.bottleneck = bottleneck;
  if (ctx.holdStartMs > 0 && ctx.sendingStoppedMs > 0) {
    const fromMs = ctx.collector.measureFromMs - ctx.startedMs;
    const toMs = Math.max(fromMs, ctx.sendingStoppedMs - ctx.startedMs);
    summary.window = { fromMs, toMs, durationMs: toMs - fromMs };
  }
  if (scenario.executor.type !== 'constant-peers' || ctx.holdStartMs > 0) summary.load = loadSummary(ctx, input);
  if (options.shard) summary.shard = options.shard;
  if (input.startAt) summary.startAt = input.startAt;
  if (ctx.network) summary.network = networkSummary(ctx, input.networkCounts);
  if (ctx.faults.faults.length > 0) summary.faults = ctx.faults.faults;
  if (scenario.ai.placement !== 'none') summary.ai = aiSummary(ctx);
  if (speech) summary.speech = speech;
  await ctx.sinks.writeSummary(summary);
  await ctx.sinks.close();
  const { influx } = input;
  if (influx) {
    summary.influx = {
      target: influx.target,
      pointsWritten: influx.pointsWritten,
      pointsPending: influx.pointsPending,
      warnings: influx.warnings,
    };
    if (influx.pointsPending > 0) summary.influx.pendingFile = join(options.outDir, 'influx-pending.lp');
  }
  const { utterances } = ctx.speech;
  if (utterances.length > 0) {
    const file = join(options.outDir, 'utterances.ndjson');
    await writeFile(file, utterances.map((u) => JSON.stringify(u)).join('\n') + '\n');
    summary.utterances = { count: utterances.length, file };
  }
  return writeRunFiles(options.outDir, summary, ctx.emit);
}

/**
 * The run's InfluxDB sink: its points carry the run's tags; a write that failed is a fault of the run (the
 * points not confirmed wait in influx-pending.lp).
 */
export function openInfluxSink(
  options: RunOptions,
  influx: InfluxOptions,
  emit: (event: RunEvent) => void,
  faults: FaultLog,
): InfluxSink {
  const { scenario } = options;
  return new InfluxSink({
    connection: influx,
    tags: {
      testid: options.runId,
      scenario: scenario.name,
      placement: scenario.ai.placement,
      ...(options.variant ? { variant: options.variant } : {}),
      ...(options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : {}),
    },
    pendingFile: join(options.outDir, 'influx-pending.lp'),
    onWarning: (message) => {
      emit({ type: 'warning', message });
      if (message.includes('failed'))
        faults.record(
          message,
          [],
          false,
          `points not confirmed are kept in influx-pending.lp (glassbench report --push-influx ${options.outDir})`,
        );
    },
  });
}

/** The speech join, recorded: its metrics into the series, its samples into frames.ndjson.gz and InfluxDB. */
function recordSpeech(ctx: RunContext): NonNullable<RunSummary['speech']> {
  const joined = joinSpeech({
    records: ctx.telemetry.speechRecords,
    utterances: ctx.speech.utterances,
    subtitles: ctx.speech.subtitles,
    onsets: ctx.speech.onsets,
    voiceStarts: ctx.telemetry.voiceStarts,
    publisherByStream: ctx.speech.publisherByStream,
    peerInfo: ctx.peerInfo,
    publisherTags: new Map(
      ctx.plan.filter((p) => p.publisherTag !== undefined).map((p) => [p.peerId, p.publisherTag as number]),
    ),
    receiversOf: (tag) => ctx.collector.subscriptionsOf(tag),
    measureFromMs: ctx.collector.measureFromMs,
    output: ctx.scenario.ai.speech?.output ?? 'subtitles',
    ...(ctx.options.variant ? { variant: ctx.options.variant } : {}),
  });
  for (const m of joined.metrics) ctx.series.record(m.name, m.value, m.tags);
  for (const sample of joined.samples) ctx.sinks.writeSpeech(sample);
  return joined.entries;
}

/**
 * `time_to_first_audio_ms` of every subscription that received audio and was open in the measured window (as
 * time_to_first_frame_ms counts them), tagged as its receipts are.
 */
function recordFirstAudio(ctx: RunContext): void {
  const publishers = ctx.plan.filter((p) => p.publisherTag !== undefined);
  const fromMs = ctx.collector.measureFromMs;
  const windows = publishers
    .flatMap((p) => ctx.collector.subscriptionsOf(p.publisherTag as number))
    .filter((w) => (w.endMs ?? Number.POSITIVE_INFINITY) > fromMs && w.startMs < ctx.sendingStoppedMs);
  ctx.avSync.recordFirstAudio(windows, (w) => {
    const info = ctx.peerInfo.get(w.peer);
    const publisher = publishers.find((p) => p.publisherTag === w.publisherTag)?.peerId ?? '';
    return { room: info?.room ?? '', publisher, subscriber: w.peer, peer_kind: info?.kind ?? 'synthetic' };
  });
}

/** Whether the run knows the SFU's own seconds: the built-in SFU, or a remote reference SFU's telemetry. */
function sfuSeen(ctx: RunContext): boolean {
  return ctx.sfu !== undefined || ctx.telemetry.sfuSeconds.length > 0;
}

/** Names the SFU or its AI workers when they could not keep up over the measured window (the run stays valid). */
function bottleneckOf(ctx: RunContext): RunSummary['bottleneck'] {
  if (!sfuSeen(ctx) || ctx.holdStartMs <= 0) return undefined;
  const { ai } = ctx.scenario;
  const judged = judgeBottleneck({
    windowStartMs: ctx.holdStartMs,
    windowEndMs: ctx.sendingStoppedMs > 0 ? ctx.sendingStoppedMs : nowMs(),
    sfu: ctx.telemetry.sfuSeconds,
    ...(ai.placement === 'cloud'
      ? {
          ai: {
            devices: ctx.telemetry.aiSeconds,
            framesDropped: countOf(ctx, 'frames_dropped_ai'),
            framesSent: countOf(ctx, 'frames_sent'),
            policy: ai.queue.policy,
            queueMax: ai.queue.max,
          },
        }
      : {}),
  });
  for (const f of judged.findings) {
    ctx.notes.push(
      `bottleneck: ${bottleneckWho(f.process)} could not keep up: ${f.reason}. The run is valid: this is the system under test's limit, not the load generator's`,
    );
  }
  return judged.bottleneck;
}

function countOf(ctx: RunContext, name: string): number {
  return (ctx.series.summaries()[name] as { count?: number } | undefined)?.count ?? 0;
}

/**
 * summary.clock (and the two environment fields older readers know), and a note for each cross-host stage whose
 * clock uncertainty is over 10% of its median.
 */
function recordClock(ctx: RunContext, summary: RunSummary): void {
  const medians: Record<string, number | null | undefined> = {};
  for (const metric of CROSS_HOST_METRICS) medians[metric] = (summary.metrics[metric] as TrendSummary | undefined)?.p50;
  const measured = ctx.holdStartMs > 0 && ctx.sendingStoppedMs > 0;
  const clock = (ctx.clock as ClockSync).summary(
    medians,
    measured ? { fromMs: ctx.collector.measureFromMs, toMs: ctx.sendingStoppedMs } : undefined,
  );
  summary.clock = clock;
  summary.environment.clockOffsetMs = clock.offsetMs;
  summary.environment.clockUncertaintyMs = clock.uncertaintyMs;
  if (clock.method === 'unknown' && clock.note) summary.notes.push(`clock: ${clock.note}`);
  for (const m of clock.uncertainMetrics)
    summary.notes.push(
      m.uncertaintyMs === null
        ? `clock: ${m.metric} (median ${m.p50Ms.toFixed(2)} ms) crosses hosts and the clock offset is unknown: do not trust it`
        : `clock: ${m.metric} (median ${m.p50Ms.toFixed(2)} ms) may be off by up to ${m.uncertaintyMs.toFixed(3)} ms (the clock offset's uncertainty, over 10% of its median)`,
    );
}

/** Says in the notes (and so on the console) when the AI hook dropped or failed frames, and why. */
function noteAi(ctx: RunContext): void {
  const { ai } = ctx.scenario;
  if (ai.placement === 'none') return;
  const summaries = ctx.series.summaries();
  const dropped = countOf(ctx, 'frames_dropped_ai');
  const sent = countOf(ctx, 'frames_sent');
  if (dropped > 0) {
    const hook = summaries['ai_hook_ms'] as { p50?: number; max?: number } | undefined;
    const fresh =
      hook?.max !== undefined
        ? `; forwarded frames waited at most ${hook.max.toFixed(1)} ms in the hook (median ${hook.p50?.toFixed(1) ?? '?'} ms)`
        : '';
    if (ai.placement === 'edge')
      ctx.notes.push(
        `edge AI overloaded: ${dropped} of ${sent} frames drawn while the page's model was busy were replaced by newer ones${fresh}`,
      );
    else
      ctx.notes.push(
        `AI hook overloaded: ${dropped} of ${sent} frames dropped by the ${ai.queue.policy} queue policy (queue max ${ai.queue.max}, ${ai.workers} worker${ai.workers === 1 ? '' : 's'})${fresh}`,
      );
  }
  const events = ctx.telemetry.sfuEvents;
  const failed = countOf(ctx, 'frames_failed_ai');
  const reasons = [...ctx.telemetry.aiFailures].map(([reason, n]) => `${n} x ${reason}`);
  if (failed > 0)
    ctx.notes.push(
      `AI hook: ${failed} frames failed${reasons.length > 0 ? `; why, over the whole run (warm-up too): ${reasons.join('; ')}` : ''}${events.length > 0 ? ` (${[...new Set(events)].join('; ')})` : ''}`,
    );
  const over = countOf(ctx, 'frames_over_budget');
  if (over > 0) ctx.notes.push(`AI hook: ${over} frames took longer than the ${ai.budgetMs} ms inference budget`);
}

function aiSummary(ctx: RunContext): NonNullable<RunSummary['ai']> {
  const { ai } = ctx.scenario;
  const devices = ctx.telemetry.aiDeviceSummary();
  return {
    placement: ai.placement,
    mode: ai.mode,
    stages: ai.stages.map((s) => s.name),
    workers: ai.workers,
    queue: ai.queue,
    backend: ai.backend.type,
    ...(ai.backend.type === 'external' ? { format: ai.backend.format } : {}),
    budgetMs: ai.budgetMs,
    devices,
    ...batchesOf(ctx),
    events: ctx.telemetry.sfuEvents,
  };
}

/** An external worker's batches as it reported them: calls per batch and the wait to form one. */
function batchesOf(ctx: RunContext): Pick<NonNullable<RunSummary['ai']>, 'batches'> {
  const summaries = ctx.series.summaries();
  const size = summaries['ai_batch_size'] as TrendSummary | undefined;
  const wait = summaries['ai_batch_wait_ms'] as TrendSummary | undefined;
  if (!size || size.count === 0) return {};
  return {
    batches: {
      frames: size.count,
      meanSize: size.mean,
      maxSize: size.max,
      ...(wait && wait.count > 0 ? { waitP50Ms: wait.p50, waitP95Ms: wait.p95 } : {}),
    },
  };
}

function loadSummary(ctx: RunContext, input: OutputInput): LoadSummary {
  const stages = input.loadSteps.map((step) => ({ ...step, latency: ctx.telemetry.stepLatency(step.index) }));
  const out: LoadSummary = {
    executor: ctx.scenario.executor.type,
    holdOffsetMs: Math.round(ctx.holdStartMs - ctx.startedMs),
    stages,
    timeline: input.timeline,
  };
  if (ctx.scenario.executor.type === 'arrival-rate')
    out.calls = { started: input.executors.callsStarted, dropped: input.executors.callsDropped };
  return out;
}

function networkSummary(
  ctx: RunContext,
  networkCounts: OutputInput['networkCounts'],
): NonNullable<RunSummary['network']> {
  const lab = ctx.network;
  const plain = (l: object): Record<string, number> => ({ ...(l as Record<string, number>) });
  return {
    engine: lab?.list[0]?.engine ?? 'none',
    links: (lab?.list ?? []).map((link) => {
      const groups = [...new Set(ctx.plan.filter((p) => p.link === link.index).map((p) => `${p.role}/${p.kind}`))];
      const counts = networkCounts[link.netns];
      return {
        netns: link.netns,
        peerAddress: link.peerAddress,
        groups,
        uplink: plain(link.profile.uplink),
        downlink: plain(link.profile.downlink),
        ...(counts ? { counts } : {}),
      };
    }),
    changes: (lab?.changes ?? []).map((c) => ({
      link: c.link,
      atMs: c.atMs,
      uplink: plain(c.uplink),
      downlink: plain(c.downlink),
    })),
  };
}
