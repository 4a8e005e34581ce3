/**
 * A run, start to end: preflight (SFU, peer runners) -> connect publishers, then subscribers -> hold for the
 * scenario's duration -> drain (publishers stop, the loss window passes, subscribers leave) -> close ->
 * write outputs. Whatever happens after the output directory exists, the run writes a readable summary,
 * the frames recorded so far and junit.xml, and leaves no child process behind.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT_CODES, GlassbenchError, describeError } from '../errors.js';
import { FRAME_STAGE_METRICS, type MetricName } from '../metrics/catalogue.js';
import { nowMs, sleep } from '../metrics/clock.js';
import { FrameCollector, LOSS_WINDOW_MS, type PeerInfo } from '../metrics/collector.js';
import { Trend, type TrendSummary } from '../metrics/histogram.js';
import { MachineCpuReader } from '../metrics/machine.js';
import { ResourceSampler } from '../metrics/resources.js';
import { ProcessUsageTracker, saturationBrief } from '../metrics/saturation.js';
import { judgeBottleneck, type AiDeviceSecond } from '../metrics/bottleneck.js';
import { MetricSeries } from '../metrics/series.js';
import type { FrameRecord, SpeechSampleRecord } from '../metrics/types.js';
import type { AiResultRecord, RunnerEvent, SpeechOnsetRecord, SubscriptionWindow, UtteranceRecord } from '../protocol/runner-ipc.js';
import { buildSummary, evaluateThresholds } from '../report/build-summary.js';
import type { RunSummary } from '../report/summary.js';
import { discoverGpus } from '../metrics/gpus.js';
import type { SpeechRecord } from '../protocol/ai.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';
import { missingSpeechEngines } from '../metrics/speech-engines.js';
import { wordErrorRate } from '../metrics/word-error-rate.js';
import { FramesFile } from '../sinks/frames-file.js';
import { InfluxSink } from '../sinks/influx-sink.js';
import { writeReport } from '../report/html.js';
import { renderJunit } from '../sinks/junit.js';
import { NetworkLab, type LinkCounts } from '../network/links.js';
import type { NetworkProfile } from '../scenario/types.js';
import type { LoadSummary, StageLatency } from '../report/summary.js';
import { mapWithConcurrency } from './concurrency.js';
import { planRun, roomUrl, type PlannedPeer, type PlannedRunner } from './plan.js';
import { closeRunners, startRunners, type RunnerHandle } from './runner-pool.js';
import { loadSteps, planCalls, rampTarget, type LoadStep, type PlannedCall } from './schedule.js';
import { startReferenceSfu, type SfuProcess } from './sfu-process.js';
import { connectStageStream, type StageClient } from './stage-client.js';
import type { RunEvent, RunOptions, RunResult } from './types.js';

const CONNECTS_IN_FLIGHT_PER_RUNNER = 8;
/** how often an executor steers the load during the hold, ms */
const STEER_MS = 250;
/** publishers stop this long after the drain begins, all at one instant (their command must arrive first), ms */
const STOP_LEAD_MS = 100;

type PeerOutcome = { ok: true; streamId?: string; windows?: SubscriptionWindow[] } | { ok: false; message: string };

export async function runScenario(options: RunOptions): Promise<RunResult> {
  await mkdir(options.outDir, { recursive: true });
  const run = new Run(options);
  return run.execute();
}

class Run {
  private readonly scenario;
  private readonly emit: (event: RunEvent) => void;
  private readonly series: MetricSeries;
  private readonly usage: ProcessUsageTracker;
  private readonly plan: PlannedPeer[];
  /** every subscriber place of the whole run (all shards), in the order a ramp fills them */
  private readonly subscriberSlots: PlannedPeer[];
  private readonly runnerPlan: PlannedRunner[];
  private readonly linkProfiles: NetworkProfile[];
  private network: NetworkLab | undefined;
  private networkCounts: Record<string, { uplink: LinkCounts; downlink: LinkCounts } | undefined> = {};
  /** each room's published streams, for subscribers that join */
  private readonly streams = new Map<string, { endpointUrl: string; publisherTag: number }[]>();
  /** peers connected now (executors make them come and go) */
  private readonly joined = new Set<string>();
  /** ramping-peers: subscribers that joined or are joining, in order (the last leaves first) */
  private readonly activeSubs: PlannedPeer[] = [];
  private readonly joining = new Set<string>();
  private readonly leaveAfterJoin = new Set<string>();
  private readonly unusable = new Set<string>();
  private readonly leaving = new Map<string, () => void>();
  /** arrival-rate: the calls of this run (shard), and how far each has got */
  private calls: (PlannedCall & { state: 'due' | 'running' | 'ended'; starting?: Promise<void> })[] = [];
  private callsDropped = 0;
  private readonly loadSteps: LoadStep[];
  private readonly faults: NonNullable<RunSummary['faults']> = [];
  /** set when a part the run cannot do without died (the SFU, every peer): the run ends, exit 107 */
  private fatal: string | undefined;
  private readonly stageTrends = new Map<number, Map<string, Trend>>();
  private readonly timeline: LoadSummary['timeline'] = [];
  private readonly peerInfo = new Map<string, PeerInfo>();
  private readonly collector: FrameCollector;
  private readonly frames: FramesFile;
  private judgeTimer: NodeJS.Timeout | undefined;
  private readonly influx: InfluxSink | undefined;
  private readonly pendingPeers = new Map<string, (outcome: PeerOutcome) => void>();
  private readonly failed: RunSummary['peers']['failed'] = [];
  private readonly notes: string[] = [];
  /** what the SFU reported a person should know (the external AI worker went away, came back) */
  private readonly sfuEvents: string[] = [];
  /** per AI device over the measured window: utilisation samples, calls, longest queue */
  private readonly aiDevices = new Map<string, { utilisationPct: number[]; gpuUtilisationPct: number[]; calls: number; maxQueue: number }>();
  /** translation chain: what the SFU did with each utterance, and when subscribers got the subtitles */
  private readonly speechRecords: SpeechRecord[] = [];
  private readonly subtitles: AiResultRecord[] = [];
  /** translated speech (option B): when the SFU began playing each utterance's translation (`pub/n`) */
  private readonly voiceStarts = new Map<string, number>();
  /** translated speech (option B): where receivers heard speech start */
  private readonly onsets: SpeechOnsetRecord[] = [];
  private readonly publisherByStream = new Map<string, string>();
  /** utterances publishers played (spoken-audio track), written to utterances.ndjson */
  private readonly utterances: UtteranceRecord[] = [];
  private readonly recent = { frames: 0, latency: new Trend() };
  private readonly harnessSampler: ResourceSampler;
  /** the machine's CPU (and steal), read with the harness's own sample once a second */
  private readonly machine = new MachineCpuReader();
  private connected = 0;
  private sfu: SfuProcess | undefined;
  private stageClient: StageClient | undefined;
  private runners: RunnerHandle[] = [];
  private closingRunners = false;
  private readonly startedMs = nowMs();
  private holdStartMs = 0;
  private sendingStoppedMs = 0;
  /** why the run was interrupted (Ctrl-C) */
  private abortReason: string | undefined;
  /** set when a threshold with abortOnFail failed: the run ends early, as a threshold failure */
  private thresholdAbort: string | undefined;
  private sfuForwardMs: TrendSummary | null = null;
  /** the SFU's seconds (its `res` records) and each AI device's, for the bottleneck judge and the report */
  private readonly sfuSeconds: Extract<TelemetryRecord, { k: 'res' }>[] = [];
  private readonly aiSeconds: AiDeviceSecond[] = [];

  constructor(private readonly options: RunOptions) {
    this.scenario = options.scenario;
    this.emit = options.onEvent ?? (() => undefined);
    this.series = new MetricSeries(this.scenario.thresholds);
    this.usage = new ProcessUsageTracker(this.series, (process, ms, fields) => this.influx?.writeResources(process, ms, fields));
    const plan = planRun(this.scenario, options.shard);
    this.plan = plan.peers;
    this.subscriberSlots = plan.allPeers.filter((p) => p.role === 'subscriber');
    this.runnerPlan = plan.runners;
    this.linkProfiles = plan.links;
    this.loadSteps = loadSteps(this.scenario, this.plan.length);
    for (const peer of this.plan) this.peerInfo.set(peer.peerId, { room: peer.room, kind: peer.kind });
    this.frames = new FramesFile(join(options.outDir, 'frames.ndjson.gz'));
    if (options.influx) {
      this.influx = new InfluxSink({
        connection: options.influx,
        tags: { testid: options.runId, scenario: this.scenario.name, placement: this.scenario.ai.placement, ...(options.variant ? { variant: options.variant } : {}), ...(options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : {}) },
        pendingFile: join(options.outDir, 'influx-pending.lp'),
        onWarning: (message) => {
          this.emit({ type: 'warning', message });
          if (this.influx && message.includes('failed')) this.recordFault(message, [], false, `points not confirmed are kept in influx-pending.lp (glassbench report --push-influx ${options.outDir})`);
        },
      });
    }
    this.collector = new FrameCollector(this.series, this.peerInfo, (record) => {
      if (options.variant) record.variant = options.variant;
      this.recordStageLatency(record);
      this.frames.write(record);
      this.influx?.writeFrame(record);
    });
    this.collector.aiBudgetMs = this.scenario.ai.budgetMs;
    this.harnessSampler = new ResourceSampler((s) => {
      this.usage.record('harness', s, 'harness', s.busiestThreadCpuPct);
      const m = this.machine.sample();
      if (m) this.usage.recordMachine(m);
    });
  }

  async execute(): Promise<RunResult> {
    let ending: { status: 'aborted' | 'error'; code: string; message: string } | undefined;
    this.harnessSampler.start();
    // frames are judged (written out, or counted lost) as they age, from the first one: during connecting and the
    // warm-up too, so a long warm-up neither holds its frames in memory nor writes them all at once when the hold starts
    this.judgeTimer = setInterval(() => this.collector.finalise(nowMs()), 1000);
    this.judgeTimer.unref();
    try {
      await this.preflight();
      await this.connectPeers();
      await this.warmUp();
      await this.hold();
    } catch (error) {
      if (this.options.signal?.aborted) {
        ending = { status: 'aborted', code: 'ABORTED', message: this.abortReason ?? 'the run was interrupted' };
      } else {
        const code = error instanceof GlassbenchError ? error.code : 'RUN_FAILED';
        ending = { status: 'error', code, message: describeError(error) };
      }
    }
    if (!ending && this.thresholdAbort) ending = { status: 'aborted', code: 'THRESHOLD_FAILED', message: this.thresholdAbort };
    else if (!ending && this.abortReason) ending = { status: 'aborted', code: 'ABORTED', message: this.abortReason };
    await this.drainAndClose();
    return this.writeOutputs(ending);
  }

  private async preflight(): Promise<void> {
    this.emit({ type: 'phase', phase: 'starting', message: 'starting the reference SFU and peer runners' });
    const target = this.scenario.target;
    if (this.scenario.ai.placement === 'cloud' && this.scenario.ai.gpus) {
      const gpus = await discoverGpus().catch((error: unknown) => {
        throw new GlassbenchError('RUN_FAILED', `ai.devices: gpus: ${(error as Error).message}; this machine has no usable NVIDIA GPU (use simulated devices instead)`);
      });
      if (gpus.length === 0) throw new GlassbenchError('RUN_FAILED', 'ai.devices: gpus: nvidia-smi lists no GPU');
    }
    const speech = this.scenario.ai.placement === 'cloud' ? this.scenario.ai.speech : undefined;
    if (speech && (speech.asr.engine !== 'synthetic' || speech.mt.engine !== 'synthetic' || speech.tts.engine !== 'synthetic')) {
      const missing = missingSpeechEngines();
      if (missing.length > 0) throw new GlassbenchError('RUN_FAILED', `the translation chain's engines are not installed: apt-get install -y ${missing.join(' ')} (or use synthetic engines in ai.speech)`);
    }
    if (this.plan.length === 0) throw new GlassbenchError('RUN_FAILED', `shard ${this.options.shard?.index}/${this.options.shard?.count} has no rooms: the scenario has ${this.scenario.rooms} (shards take whole rooms)`);
    if (this.linkProfiles.length > 0) {
      this.emit({ type: 'phase', phase: 'starting', message: `making ${this.linkProfiles.length} impaired network link(s)` });
      this.network = await NetworkLab.create(this.linkProfiles, (message) => this.emit({ type: 'warning', message }));
      this.notes.push(`network impairment: ${this.network.list[0]?.engine === 'netem' ? 'Linux netem on veth pairs' : "glassbench's user-space link emulator on TUN devices (this kernel has no netem)"}, ${this.network.list.length} namespace(s)`);
    }
    if (target.type === 'reference') {
      const ai = this.scenario.ai.placement === 'cloud' ? { ai: this.scenario.ai } : {};
      const alsoListenOn = this.network?.list.map((l) => l.hostAddress) ?? [];
      this.sfu = await startReferenceSfu({ addDelayMs: this.scenario.sfu.addDelayMs, burnCpuMsPerFrame: this.scenario.sfu.burnCpuMsPerFrame, ...ai, ...(alsoListenOn.length > 0 ? { alsoListenOn } : {}) }, (code, signal) => {
        if (this.closingRunners) return;
        const what = `the reference SFU exited unexpectedly (${signal ? `killed by ${signal}` : `code ${code}`})`;
        this.emit({ type: 'warning', message: what });
        this.fatal ??= what;
        this.recordFault(what, [...this.joined], true);
      });
      this.stageClient = await connectStageStream(this.sfu.baseUrl, undefined, (record) => {
        if (record.k === 'res') {
          this.onSfuSecond(record);
          this.usage.record('sfu', record, 'system');
        } else if (record.k === 'event') {
          this.emit({ type: 'warning', message: `SFU: ${record.message}` });
          this.sfuEvents.push(record.message);
          if (/went away|failed|exited/.test(record.message)) this.recordFault(`SFU: ${record.message}`, [], false, 'calls in flight failed (frames_failed_ai); the SFU restarts the worker');
        } else if (record.k === 'speech') {
          this.speechRecords.push(record);
        } else if (record.k === 'voice') {
          this.voiceStarts.set(`${record.pub}/${record.n}`, record.ms);
        } else if (record.k === 'dev') {
          if (record.ms < this.collector.measureFromMs || (this.sendingStoppedMs > 0 && record.ms > this.sendingStoppedMs)) return;
          for (const d of record.devices) {
            this.series.record('ai_device_utilisation_pct', d.utilisationPct, { device: d.name });
            const acc = this.aiDevices.get(d.name) ?? { utilisationPct: [], gpuUtilisationPct: [], calls: 0, maxQueue: 0 };
            acc.utilisationPct.push(d.utilisationPct);
            if (d.gpuUtilisationPct !== undefined) acc.gpuUtilisationPct.push(d.gpuUtilisationPct);
            acc.calls += d.calls;
            acc.maxQueue = Math.max(acc.maxQueue, d.queueLength);
            this.aiSeconds.push({ ms: record.ms, name: d.name, utilisationPct: d.utilisationPct, queueLength: d.queueLength });
            this.aiDevices.set(d.name, acc);
          }
        } else this.collector.onStage(record, nowMs());
      });
    } else {
      this.notes.push('external SFU: sfuInMs and sfuOutMs are unknown, so uplink_ms, sfu_ms and downlink_ms are not reported');
    }
    const links = this.network?.list ?? [];
    this.runners = await startRunners(
      this.runnerPlan.map((r) => {
        const link = r.link === undefined ? undefined : links[r.link];
        return link ? { netns: link.netns, address: link.peerAddress } : {};
      }),
      (runner, event) => this.onRunnerEvent(runner, event),
      (runner, code) => this.onRunnerExit(runner, code),
    );
  }

  /**
   * One second of the SFU: kept for the bottleneck judge and the report; over the measured window its event-loop
   * delay (the time a datagram can wait unread, which no stage stamp sees) is recorded beside the stages.
   */
  private onSfuSecond(record: Extract<TelemetryRecord, { k: 'res' }>): void {
    this.sfuSeconds.push(record);
    if (record.ms < this.collector.measureFromMs || (this.sendingStoppedMs > 0 && record.ms > this.sendingStoppedMs)) return;
    this.series.record('sfu_loop_delay_ms', record.loopDelayP99Ms, {});
    this.series.record('loop_delay_ms', record.loopDelayP99Ms, { process: 'sfu' });
  }

  /** Names the SFU or its AI workers when they could not keep up over the measured window (the run stays valid). */
  private judgeBottleneck(): RunSummary['bottleneck'] {
    if (!this.sfu || this.holdStartMs <= 0) return undefined;
    const summaries = this.series.summaries();
    const count = (name: string): number => (summaries[name] as { count?: number } | undefined)?.count ?? 0;
    const { ai } = this.scenario;
    const judged = judgeBottleneck({
      windowStartMs: this.holdStartMs,
      windowEndMs: this.sendingStoppedMs > 0 ? this.sendingStoppedMs : nowMs(),
      sfu: this.sfuSeconds,
      ...(ai.placement === 'cloud' ? { ai: { devices: this.aiSeconds, framesDropped: count('frames_dropped_ai'), framesSent: count('frames_sent'), policy: ai.queue.policy, queueMax: ai.queue.max } } : {}),
    });
    for (const f of judged.findings) {
      this.notes.push(`bottleneck: the ${f.process === 'sfu' ? 'reference SFU' : "SFU's AI workers"} could not keep up: ${f.reason}. The run is valid: this is the system under test's limit, not the load generator's`);
    }
    return judged.bottleneck;
  }

  private onRunnerEvent(runner: RunnerHandle, event: RunnerEvent): void {
    const now = nowMs();
    switch (event.type) {
      case 'records':
        this.utterances.push(...event.utterances);
        this.onsets.push(...event.onsets);
        for (const record of event.edgeAi) this.collector.onStage(record, now);
        for (const record of event.sent) this.collector.onSent(record, now);
        for (const record of event.skipped) this.collector.onSkipped(record);
        for (const record of event.aiResults) {
          if (record.f.startsWith('sub:')) this.subtitles.push(record);
          else this.collector.onAiResult(record, now);
        }
        for (const record of event.received) {
          this.collector.onReceived(record, now);
          this.recent.frames += 1;
          const arrivalMs = record.renderedMs ?? record.receivedMs;
          if (record.captureMs !== undefined && arrivalMs !== undefined) this.recent.latency.record(arrivalMs - record.captureMs);
        }
        return;
      case 'resources':
        this.usage.record(runner.name, event, 'generator', event.busiestThreadCpuPct);
        if (event.browserCpuPct !== undefined) {
          const sample = { ms: event.ms, cpuPct: event.browserCpuPct, rssMb: event.browserRssMb ?? 0, ...(event.browserLoopDelayP99Ms !== undefined ? { loopDelayP99Ms: event.browserLoopDelayP99Ms } : {}) };
          this.usage.record(`browser-${runner.index + 1}`, sample, 'generator', event.browserMaxProcessCpuPct);
        }
        return;
      case 'stats': {
        this.collector.onStats(event.peer, event.sample);
        const info = this.peerInfo.get(event.peer);
        this.influx?.writeStats(event.peer, info?.room ?? '', info?.kind ?? 'browser', event.sample, event.sample.ms < this.collector.measureFromMs);
        return;
      }
      case 'publisher-ready':
        this.publisherByStream.set(event.streamId, event.peerId);
        this.pendingPeers.get(event.peerId)?.({ ok: true, streamId: event.streamId });
        return;
      case 'subscriber-ready':
        for (const window of event.windows) this.collector.addWindow(window);
        this.pendingPeers.get(event.peerId)?.({ ok: true, windows: event.windows });
        return;
      case 'peer-failed': {
        const pending = this.pendingPeers.get(event.peerId);
        if (pending) pending({ ok: false, message: event.message });
        else if (!this.failed.some((f) => f.peer === event.peerId)) {
          // a peer that was running failed: record it, stop expecting frames from it, carry on
          this.markFailed(event.peerId, event.message);
          this.joined.delete(event.peerId);
          this.collector.endWindows(event.peerId, now);
          this.recordFault(event.message, [event.peerId], false);
        }
        return;
      }
      case 'closed':
        for (const window of event.windows) this.collector.addWindow(window);
        return;
      case 'peer-left':
        for (const window of event.windows) this.collector.addWindow(window);
        this.joined.delete(event.peerId);
        this.leaving.get(event.peerId)?.();
        this.leaving.delete(event.peerId);
        return;
      case 'ready':
        return;
    }
  }

  private onRunnerExit(runner: RunnerHandle, code: number | null): void {
    if (this.closingRunners) return;
    const message = `${runner.name} (pid ${runner.pid}) exited unexpectedly (${code === null ? 'killed by a signal' : `code ${code}`})`;
    this.emit({ type: 'warning', message });
    const now = nowMs();
    const lost: string[] = [];
    for (const peer of this.plan.filter((p) => p.runner === runner.index)) {
      const pending = this.pendingPeers.get(peer.peerId);
      if (pending) {
        pending({ ok: false, message });
        lost.push(peer.peerId);
      } else if (this.joined.has(peer.peerId)) {
        // its peers were running: record them, stop expecting frames at them, carry on with the others
        this.markFailed(peer.peerId, message);
        this.joined.delete(peer.peerId);
        this.collector.endWindows(peer.peerId, now);
        lost.push(peer.peerId);
      }
    }
    this.recordFault(message, lost, false);
    if (this.holdStartMs > 0 && this.joined.size === 0) this.fatal ??= `no peer is left (${message})`;
  }

  /** Records a failure during the run; failures within 2 s with the same cause are one. */
  private recordFault(what: string, peers: string[], fatal: boolean, costText?: string): void {
    const atMs = Math.round(nowMs() - this.startedMs);
    const last = this.faults.at(-1);
    if (last && last.what === what && atMs - last.atMs < 2000) {
      last.peers.push(...peers.filter((p) => !last.peers.includes(p)));
      return;
    }
    const remainingS = this.holdStartMs > 0 ? Math.max(0, (this.scenario.durationMs - (nowMs() - this.holdStartMs)) / 1000) : undefined;
    const cost = costText ?? (fatal
      ? `the run ended${remainingS !== undefined ? ` ${remainingS.toFixed(1)} s before its measured time was over` : ' before it was measured'}; ${peers.length} peer(s) were connected`
      : `${peers.length} peer(s) left the run: ${peers.join(', ') || 'none'}`);
    this.faults.push({ atMs, what, peers: [...peers], fatal, cost });
  }

  /** Starts one peer on its runner and waits for it to connect or fail. */
  private startPeer(peer: PlannedPeer, sources: { endpointUrl: string; publisherTag: number }[]): Promise<PeerOutcome> {
    const runner = this.runners[peer.runner];
    const timeoutMs = this.scenario.connectTimeoutMs;
    const token = this.scenario.target.type === 'external' ? this.scenario.target.token : undefined;
    return new Promise<PeerOutcome>((resolve) => {
      const timer = setTimeout(() => settle({ ok: false, message: `did not connect within ${timeoutMs} ms` }), timeoutMs + 5000);
      const settle = (outcome: PeerOutcome): void => {
        clearTimeout(timer);
        this.pendingPeers.delete(peer.peerId);
        if (outcome.ok) {
          this.connected += 1;
          this.joined.add(peer.peerId);
        } else this.markFailed(peer.peerId, outcome.message);
        resolve(outcome);
      };
      this.pendingPeers.set(peer.peerId, settle);
      if (!runner?.alive) {
        settle({ ok: false, message: 'its peer runner is not running' });
      } else if (peer.role === 'publisher') {
        const target = this.scenario.target;
        const endpointUrl = target.type === 'reference' ? `${this.baseUrlFor(peer)}/whip/${peer.room}` : roomUrl(target.whipUrl, peer.room);
        const spec = { peerId: peer.peerId, kind: peer.kind, room: peer.room, endpointUrl, publisherTag: peer.publisherTag ?? 0, video: peer.video, ...this.browserEndpoint, ...(peer.audio ? { audio: peer.audio } : {}), ...(peer.identifyRtp ? { identifyRtp: true } : {}), ...(this.scenario.ai.placement === 'edge' ? { edgeAi: { stages: this.scenario.ai.stages } } : {}) };
        runner.send({ type: 'start-publisher', spec: token ? { ...spec, token } : spec, connectTimeoutMs: timeoutMs });
      } else {
        // the glassbench-ai DataChannel carries AI results (tap) and subtitles (translation chain, option A);
        // translated speech (option B) is heard in the audio
        const { ai } = this.scenario;
        const cloud = ai.placement === 'cloud';
        const tap = cloud && ((ai.mode === 'tap' && ai.stages.length > 0) || ai.speech?.output === 'subtitles' || ai.speech?.output === 'both');
        const listen = cloud && (ai.speech?.output === 'speech' || ai.speech?.output === 'both');
        // a runner behind an impaired link reaches the SFU at the link's host end
        const base = this.sfu?.baseUrl;
        const own = this.baseUrlFor(peer);
        const reachable = base && own !== base ? sources.map((s) => ({ ...s, endpointUrl: s.endpointUrl.startsWith(base) ? own + s.endpointUrl.slice(base.length) : s.endpointUrl })) : sources;
        const spec = { peerId: peer.peerId, kind: peer.kind, room: peer.room, sources: reachable, ...this.browserEndpoint, ...(tap ? { aiResults: true } : {}), ...(listen ? { speechOnsets: true } : {}) };
        runner.send({ type: 'start-subscriber', spec: token ? { ...spec, token } : spec, connectTimeoutMs: timeoutMs });
      }
    });
  }

  /** The reference SFU's URL as the peer's runner reaches it: loopback, or its link's host end. */
  private baseUrlFor(peer: PlannedPeer): string {
    const base = this.sfu?.baseUrl ?? '';
    const link = peer.link === undefined ? undefined : this.network?.list[peer.link];
    return link ? base.replace('127.0.0.1', link.hostAddress) : base;
  }

  private get browserEndpoint(): { browserWSEndpoint?: string } {
    const wsEndpoint = this.scenario.browser.wsEndpoint;
    return wsEndpoint ? { browserWSEndpoint: wsEndpoint } : {};
  }

  private markFailed(peer: string, message: string): void {
    this.failed.push({ peer, message, atMs: Math.round(nowMs() - this.startedMs) });
    this.emit({ type: 'peer-failed', peer, message });
  }

  private async connectPeers(): Promise<void> {
    const { executor } = this.scenario;
    if (executor.type === 'arrival-rate') {
      const { calls, droppedAtMs } = planCalls(executor, this.scenario.durationMs);
      const mine = new Set(this.plan.map((p) => p.room));
      this.calls = calls.filter((c) => mine.has(c.room)).map((c) => ({ ...c, state: 'due' as const }));
      this.callsDropped = this.options.shard ? 0 : droppedAtMs.length;
      const perCall = this.scenario.peers.reduce((sum, g) => sum + g.count, 0);
      this.emit({ type: 'phase', phase: 'connecting', message: `arrival-rate: ${this.calls.length} call(s) of ${perCall} peers start during the hold, ${executor.ratePerSecond.toFixed(2)}/s, at most ${executor.maxCalls} at once` });
      return;
    }
    const publishers = this.plan.filter((p) => p.role === 'publisher');
    const mine = new Set(this.plan.map((p) => p.peerId));
    const subscribers = executor.type === 'ramping-peers'
      ? this.subscriberSlots.slice(0, executor.startTarget).filter((p) => mine.has(p.peerId))
      : this.plan.filter((p) => p.role === 'subscriber');
    this.emit({ type: 'phase', phase: 'connecting', message: `connecting ${publishers.length} publisher(s), then ${subscribers.length} subscriber(s)` });
    await this.connectPublishers(publishers);
    this.throwIfAborted();
    if (this.streams.size === 0) throw new GlassbenchError('RUN_FAILED', `no publisher connected (${this.failed[0]?.message ?? 'unknown reason'})`);
    // DTLS handshakes are CPU-heavy: a bounded number in flight per runner keeps connection set-up orderly
    const subscriberOutcomes = await mapWithConcurrency(subscribers, CONNECTS_IN_FLIGHT_PER_RUNNER * this.runners.length, (peer) => this.connectSubscriber(peer));
    if (executor.type === 'ramping-peers') subscribers.forEach((peer, i) => (subscriberOutcomes[i]?.ok ? this.activeSubs.push(peer) : this.unusable.add(peer.peerId)));
    this.throwIfAborted();
    if (subscribers.length > 0 && !subscriberOutcomes.some((o) => o.ok)) {
      throw new GlassbenchError('RUN_FAILED', `no subscriber connected (${this.failed[0]?.message ?? 'unknown reason'})`);
    }
  }

  private async connectPublishers(publishers: PlannedPeer[]): Promise<void> {
    const outcomes = await Promise.all(publishers.map(async (peer) => ({ peer, outcome: await this.startPeer(peer, []) })));
    for (const { peer, outcome } of outcomes) {
      if (!outcome.ok) continue;
      const tag = peer.publisherTag ?? 0;
      this.collector.registerPublisher(tag, peer.peerId, outcome.streamId);
      const target = this.scenario.target;
      const endpointUrl = target.type === 'reference'
        ? `${this.sfu?.baseUrl}/whep/${peer.room}?stream=${encodeURIComponent(outcome.streamId ?? '')}`
        : roomUrl(target.whepUrl, peer.room);
      (this.streams.get(peer.room) ?? this.streams.set(peer.room, []).get(peer.room))?.push({ endpointUrl, publisherTag: tag });
    }
  }

  private connectSubscriber(peer: PlannedPeer): Promise<PeerOutcome> {
    const sources = this.streams.get(peer.room) ?? [];
    if (sources.length === 0) {
      this.markFailed(peer.peerId, `room ${peer.room} has no connected publisher`);
      return Promise.resolve({ ok: false, message: 'no publisher' });
    }
    return this.startPeer(peer, sources);
  }

  /** Asks a peer's runner to take it out of the run; resolves once it has left (or its runner is gone). */
  private leave(peer: PlannedPeer): Promise<void> {
    const runner = this.runners[peer.runner];
    if (!runner?.alive || !this.joined.has(peer.peerId)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.leaving.delete(peer.peerId);
        resolve();
      }, 10_000);
      this.leaving.set(peer.peerId, () => {
        clearTimeout(timer);
        resolve();
      });
      runner.send({ type: 'stop-peer', peerId: peer.peerId });
    });
  }

  /** Executors: brings the load to what the schedule wants `elapsedMs` into the hold. */
  private steer(elapsedMs: number): void {
    const { executor } = this.scenario;
    if (executor.type === 'ramping-peers') {
      const mine = new Set(this.plan.map((p) => p.peerId));
      // the whole run's target, in slot order; a shard keeps the slots of its rooms
      const wanted = this.subscriberSlots.slice(0, rampTarget(executor, elapsedMs)).filter((p) => mine.has(p.peerId)).length;
      const limit = CONNECTS_IN_FLIGHT_PER_RUNNER * this.runners.length;
      while (this.activeSubs.length < wanted && this.joining.size < limit) {
        const next = this.subscriberSlots.find((p) => mine.has(p.peerId) && !this.activeSubs.includes(p) && !this.unusable.has(p.peerId) && !this.leaving.has(p.peerId));
        if (!next) break;
        this.activeSubs.push(next);
        this.joining.add(next.peerId);
        void this.connectSubscriber(next).then((outcome) => {
          this.joining.delete(next.peerId);
          if (!outcome.ok) {
            this.unusable.add(next.peerId);
            const at = this.activeSubs.indexOf(next);
            if (at >= 0) this.activeSubs.splice(at, 1);
          } else if (this.leaveAfterJoin.delete(next.peerId)) void this.leave(next);
        });
      }
      while (this.activeSubs.length > wanted) {
        const last = this.activeSubs.pop() as PlannedPeer;
        if (this.joining.has(last.peerId)) this.leaveAfterJoin.add(last.peerId);
        else void this.leave(last);
      }
    } else if (executor.type === 'arrival-rate') {
      for (const call of this.calls) {
        if (call.state === 'due' && elapsedMs >= call.startMs) {
          call.state = 'running';
          call.starting = this.startCall(call);
        } else if (call.state === 'running' && elapsedMs >= call.endMs && call.endMs < this.scenario.durationMs) {
          call.state = 'ended';
          // a call shorter than its peers take to connect ends once they have
          void (call.starting ?? Promise.resolve()).then(() => this.endCall(call));
        }
      }
    }
  }

  private async startCall(call: PlannedCall): Promise<void> {
    const peers = this.plan.filter((p) => p.room === call.room);
    await this.connectPublishers(peers.filter((p) => p.role === 'publisher'));
    await Promise.all(peers.filter((p) => p.role === 'subscriber').map((p) => this.connectSubscriber(p)));
  }

  /** Subscribers leave first (their windows close), then the publishers. */
  private async endCall(call: PlannedCall): Promise<void> {
    const peers = this.plan.filter((p) => p.room === call.room);
    await Promise.all(peers.filter((p) => p.role === 'subscriber').map((p) => this.leave(p)));
    await Promise.all(peers.filter((p) => p.role === 'publisher').map((p) => this.leave(p)));
  }

  /** Adds a measured frame's latencies to the trends of the load stage it was captured in. */
  private recordStageLatency(record: FrameRecord): void {
    if (record.warmup || record.captureMs === undefined || this.holdStartMs <= 0) return;
    const t = record.captureMs - this.holdStartMs;
    const stage = this.loadSteps.find((s) => t >= s.startMs && t < s.endMs);
    if (!stage) return;
    const trends = this.stageTrends.get(stage.index) ?? this.stageTrends.set(stage.index, new Map()).get(stage.index) as Map<string, Trend>;
    for (const { field, metric } of FRAME_STAGE_METRICS) {
      const value = record[field];
      if (typeof value !== 'number') continue;
      (trends.get(metric) ?? trends.set(metric, new Trend()).get(metric))?.record(value);
    }
  }

  private loadSummary(): LoadSummary {
    const stages = this.loadSteps.map((stage) => {
      const latency: Record<string, StageLatency> = {};
      for (const [metric, trend] of this.stageTrends.get(stage.index) ?? []) latency[metric] = { count: trend.count, p50: trend.percentile(50), p95: trend.percentile(95) };
      return { ...stage, latency };
    });
    const out: LoadSummary = { executor: this.scenario.executor.type, holdOffsetMs: Math.round(this.holdStartMs - this.startedMs), stages, timeline: this.timeline };
    if (this.scenario.executor.type === 'arrival-rate') out.calls = { started: this.calls.filter((c) => c.state !== 'due').length, dropped: this.callsDropped };
    return out;
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) {
      this.abortReason ??= 'interrupted';
      throw new GlassbenchError('ABORTED', this.abortReason);
    }
  }

  /** Runs the warm-up (scenario `warmup`): load as in the hold, nothing measured. */
  private async warmUp(): Promise<void> {
    const ms = this.scenario.warmupMs;
    if (ms <= 0) return;
    this.emit({ type: 'phase', phase: 'warming-up', message: `warming up for ${Math.round(ms / 100) / 10} s (not measured)` });
    try {
      await sleep(ms, this.options.signal);
    } catch {
      this.abortReason ??= 'interrupted (Ctrl-C)';
      throw new GlassbenchError('ABORTED', this.abortReason);
    }
  }

  private async hold(): Promise<void> {
    this.holdStartMs = nowMs();
    this.collector.startMeasuring(this.holdStartMs);
    this.usage.windowStartMs = this.holdStartMs;
    const total = this.scenario.durationMs;
    this.emit({ type: 'phase', phase: 'running', message: `measuring for ${Math.round(total / 1000)} s` });
    const headline = this.plan.some((p) => p.role === 'subscriber' && p.kind === 'browser') ? 'g2g_latency_ms' : 'frame_latency_ms';
    const budget = this.scenario.thresholds.find((t) => t.metric === headline && Object.keys(t.tags).length === 0 && t.expression.aggregation.kind === 'percentile' && t.expression.aggregation.percentile === 95);
    let lastTickMs = this.holdStartMs;
    this.network?.startSchedules();
    const steering = this.scenario.executor.type !== 'constant-peers';
    if (this.callsDropped > 0) this.series.add('calls_dropped', {}, this.callsDropped);
    while (nowMs() - this.holdStartMs < total) {
      if (steering) {
        this.steer(nowMs() - this.holdStartMs);
        if (nowMs() - lastTickMs < 1000 - STEER_MS / 2) {
          try {
            await sleep(Math.min(STEER_MS, Math.max(0, total - (nowMs() - this.holdStartMs))), this.options.signal);
          } catch {
            this.abortReason ??= 'interrupted (Ctrl-C)';
            return;
          }
          continue;
        }
      }
      const waitMs = steering ? 0 : Math.min(1000, total - (nowMs() - this.holdStartMs));
      try {
        await sleep(Math.max(0, waitMs), this.options.signal);
      } catch {
        this.abortReason ??= 'interrupted (Ctrl-C)';
        return;
      }
      if (this.fatal) throw new GlassbenchError('RUN_FAILED', this.fatal);
      const now = nowMs();
      this.collector.finalise(now);
      this.series.windowMs = now - this.holdStartMs;
      // the same judge as the summary's, over the window so far
      const saturation = this.usage.judge();
      const subscribersNow = this.plan.filter((p) => p.role === 'subscriber' && this.joined.has(p.peerId)).length;
      this.timeline.push({ tMs: Math.round(now - this.holdStartMs), peers: this.joined.size, subscribers: subscribersNow, ...(this.scenario.executor.type === 'arrival-rate' ? { calls: this.calls.filter((c) => c.state === 'running').length } : {}) });
      this.series.record('peers_active', this.joined.size, {});
      this.emit({
        type: 'progress',
        elapsedMs: now - this.holdStartMs,
        totalMs: total,
        peersConnected: this.joined.size,
        peersPlanned: this.plan.length,
        framesPerSecond: (this.recent.frames * 1000) / Math.max(1, now - lastTickMs),
        recentP95Ms: this.recent.latency.percentile(95),
        latencyMetric: headline,
        budgetP95Ms: budget ? budget.expression.value : null,
        saturated: saturation.reasons.length > 0,
        saturatedBy: saturation.reasons.map((r) => `${r.process} ${r.measure}`),
      });
      this.recent.frames = 0;
      this.recent.latency = new Trend();
      lastTickMs = now;
      this.checkAbortOnFail(now);
      if (this.thresholdAbort) return;
    }
  }

  /** k6's abortOnFail: evaluated once a second, after delayAbortEval. */
  private checkAbortOnFail(now: number): void {
    const elapsed = now - this.holdStartMs;
    const armed = this.scenario.thresholds.filter((t) => t.abortOnFail && elapsed >= t.delayAbortEvalMs);
    if (armed.length === 0) return;
    const results = evaluateThresholds({ ...this.scenario, thresholds: armed }, this.series);
    for (const [key, list] of Object.entries(results)) {
      const failedResult = list.find((r) => !r.ok && r.actual !== null);
      if (failedResult) this.thresholdAbort = `threshold ${key} ${failedResult.expr} failed (actual ${failedResult.actual}) and has abortOnFail`;
    }
  }

  private async drainAndClose(): Promise<void> {
    this.emit({ type: 'phase', phase: 'draining', message: 'stopping publishers and waiting for frames in flight' });
    // publishers end their timetables at one instant a little ahead, so the command's trip over IPC does not
    // let a runner send slots past the window's end: every publisher's last due slot is before sendingStoppedMs
    this.sendingStoppedMs = nowMs() + STOP_LEAD_MS;
    this.collector.measureUntilMs = this.sendingStoppedMs;
    this.usage.windowEndMs = this.sendingStoppedMs;
    const alive = this.runners.filter((r) => r.alive);
    for (const runner of alive) runner.send({ type: 'stop-sending', atMs: this.sendingStoppedMs });
    if (alive.length > 0 && this.holdStartMs > 0) await sleep(STOP_LEAD_MS + LOSS_WINDOW_MS + 200);
    this.closingRunners = true;
    await closeRunners(this.runners);
    if (this.network) this.networkCounts = await this.network.close();
    this.stageClient?.close();
    if (this.sfu && !this.sfu.exited) this.sfuForwardMs = await fetchForwardStats(this.sfu.baseUrl);
    await this.sfu?.stop();
    this.harnessSampler.stop();
    clearInterval(this.judgeTimer);
    this.collector.finalise(nowMs(), true);
    this.collector.recordFps(this.sendingStoppedMs);
    if (this.holdStartMs > 0) this.series.windowMs = this.sendingStoppedMs - this.holdStartMs;
  }

  /**
   * Joins each utterance the SFU's chain handled to the utterance the publisher played (same publisher, the
   * nearest end within 1.5 s), then, per receiver of that publisher, to the subtitle it got (option A) and to
   * the first speech onset it heard after the translation began playing and before the next one did (option B),
   * into the translation metrics, `frames.ndjson.gz` and InfluxDB.
   */
  private recordSpeech(): NonNullable<RunSummary['speech']> {
    const used = new Set<UtteranceRecord>();
    const out: NonNullable<RunSummary['speech']> = [];
    const output = this.scenario.ai.speech?.output ?? 'subtitles';
    const records = [...this.speechRecords].sort((a, b) => a.n - b.n);
    for (const r of records) {
      const peer = this.publisherByStream.get(r.pub);
      let match: UtteranceRecord | undefined;
      for (const u of this.utterances) {
        if (u.peer !== peer || used.has(u) || Math.abs(u.endMs - r.speechEndMs) > 1500) continue;
        if (!match || Math.abs(u.endMs - r.speechEndMs) < Math.abs(match.endMs - r.speechEndMs)) match = u;
      }
      const entry: NonNullable<RunSummary['speech']>[number] = { publisher: peer ?? r.pub, n: r.n, recognised: r.text ?? '', translation: r.translation ?? '', subtitlesReceived: 0 };
      if (output !== 'subtitles') entry.speechHeard = 0;
      if (r.error) entry.error = r.error;
      if (!match || peer === undefined) {
        out.push(entry);
        continue;
      }
      used.add(match);
      entry.utterance = match.id;
      entry.text = match.text;
      const measured = match.endMs >= this.collector.measureFromMs;
      const room = this.peerInfo.get(match.peer)?.room ?? '';
      const tags = { room, publisher: match.peer };
      const record = (metric: MetricName, value: number | undefined, t: Record<string, string> = tags): number | undefined => {
        if (value !== undefined && measured) this.series.record(metric, value, t);
        return value;
      };
      entry.asrMs = record('asr_ms', r.asrDoneMs !== undefined ? r.asrDoneMs - match.endMs : undefined);
      entry.mtMs = record('mt_ms', r.mtDoneMs !== undefined && r.asrDoneMs !== undefined ? r.mtDoneMs - r.asrDoneMs : undefined);
      entry.ttsTtfbMs = record('tts_ttfb_ms', r.ttsFirstAudioMs !== undefined && r.mtDoneMs !== undefined ? r.ttsFirstAudioMs - r.mtDoneMs : undefined);
      if (r.text !== undefined) entry.werPct = record('asr_wer_pct', wordErrorRate(match.text, r.text));
      const base: SpeechSampleRecord = {
        kind: 'speech',
        room,
        publisher: match.peer,
        utterance: match.id,
        n: r.n,
        text: match.text,
        recognised: entry.recognised,
        translation: entry.translation,
        utteranceEndMs: match.endMs,
        ...(entry.asrMs !== undefined ? { asrMs: entry.asrMs } : {}),
        ...(entry.mtMs !== undefined ? { mtMs: entry.mtMs } : {}),
        ...(entry.ttsTtfbMs !== undefined ? { ttsTtfbMs: entry.ttsTtfbMs } : {}),
        ...(entry.werPct !== undefined ? { werPct: entry.werPct } : {}),
        ...(measured ? {} : { warmup: true as const }),
      };
      const tag = this.plan.find((p) => p.peerId === peer)?.publisherTag;
      const receivers = tag === undefined ? [] : this.collector.subscriptionsOf(tag);
      // the next utterance's translation, once it plays, is no longer this one's
      const playoutMs = this.voiceStarts.get(`${r.pub}/${r.n}`);
      const nextPlayoutMs = Math.min(...records.filter((o) => o.pub === r.pub && o.n > r.n).map((o) => this.voiceStarts.get(`${o.pub}/${o.n}`) ?? Number.POSITIVE_INFINITY));
      for (const w of receivers) {
        const info = this.peerInfo.get(w.peer);
        const subTags = { room, publisher: peer, subscriber: w.peer, peer_kind: info?.kind ?? 'synthetic' };
        const sample: SpeechSampleRecord = { ...base, subscriber: w.peer, session: w.sub, peerKind: info?.kind ?? 'synthetic' };
        const subtitle = this.subtitles.find((s) => s.sub === w.sub && s.f === `sub:${r.n}`);
        if (subtitle) {
          entry.subtitlesReceived += 1;
          sample.subtitleLatencyMs = record('subtitle_latency_ms', subtitle.receivedMs - match.endMs, subTags);
        }
        const onset = playoutMs === undefined ? undefined : this.onsets.find((o) => o.sub === w.sub && o.ms >= playoutMs && o.ms < nextPlayoutMs);
        if (onset) {
          entry.speechHeard = (entry.speechHeard ?? 0) + 1;
          sample.s2sLatencyMs = record('s2s_latency_ms', onset.ms - match.endMs, subTags);
        }
        if (this.options.variant) sample.variant = this.options.variant;
        this.frames.write(sample);
        this.influx?.writeSpeech(sample);
      }
      if (receivers.length === 0) {
        if (this.options.variant) base.variant = this.options.variant;
        this.frames.write(base);
        this.influx?.writeSpeech(base);
      }
      out.push(entry);
    }
    return out;
  }

  private networkSummary(): NonNullable<RunSummary['network']> {
    const lab = this.network as NetworkLab;
    const plain = (l: object): Record<string, number> => ({ ...(l as Record<string, number>) });
    return {
      engine: lab.list[0]?.engine ?? 'none',
      links: lab.list.map((link) => {
        const groups = [...new Set(this.plan.filter((p) => p.link === link.index).map((p) => `${p.role}/${p.kind}`))];
        const counts = this.networkCounts[link.netns];
        return { netns: link.netns, peerAddress: link.peerAddress, groups, uplink: plain(link.profile.uplink), downlink: plain(link.profile.downlink), ...(counts ? { counts } : {}) };
      }),
      changes: lab.changes.map((c) => ({ link: c.link, atMs: c.atMs, uplink: plain(c.uplink), downlink: plain(c.downlink) })),
    };
  }

  private publisherOfTag(tag: number | undefined): string | undefined {
    return this.plan.find((p) => p.role === 'publisher' && p.publisherTag === tag)?.peerId;
  }

  /** Says in the notes (and so on the console) when the AI hook dropped or failed frames, and why. */
  private noteAi(): void {
    const { ai } = this.scenario;
    if (ai.placement === 'none') return;
    const summaries = this.series.summaries();
    const count = (name: string): number => (summaries[name] as { count?: number } | undefined)?.count ?? 0;
    const dropped = count('frames_dropped_ai');
    const sent = count('frames_sent');
    if (dropped > 0) {
      const hook = summaries['ai_hook_ms'] as { p50?: number; max?: number } | undefined;
      const fresh = hook?.max !== undefined ? `; forwarded frames waited at most ${hook.max.toFixed(1)} ms in the hook (median ${hook.p50?.toFixed(1) ?? '?'} ms)` : '';
      if (ai.placement === 'edge') this.notes.push(`edge AI overloaded: ${dropped} of ${sent} frames drawn while the page's model was busy were replaced by newer ones${fresh}`);
      else this.notes.push(`AI hook overloaded: ${dropped} of ${sent} frames dropped by the ${ai.queue.policy} queue policy (queue max ${ai.queue.max}, ${ai.workers} worker${ai.workers === 1 ? '' : 's'})${fresh}`);
    }
    const failed = count('frames_failed_ai');
    if (failed > 0) this.notes.push(`AI hook: ${failed} frames failed${this.sfuEvents.length > 0 ? ` (${[...new Set(this.sfuEvents)].join('; ')})` : ''}`);
    const over = count('frames_over_budget');
    if (over > 0) this.notes.push(`AI hook: ${over} frames took longer than the ${ai.budgetMs} ms inference budget`);
  }

  private aiSummary(): NonNullable<RunSummary['ai']> {
    const { ai } = this.scenario;
    const devices: NonNullable<RunSummary['ai']>['devices'] = {};
    for (const [name, acc] of this.aiDevices) {
      const mean = (values: number[]): number => Math.round((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)) * 10) / 10;
      devices[name] = { utilisationPct: mean(acc.utilisationPct), calls: acc.calls, maxQueue: acc.maxQueue };
      if (acc.gpuUtilisationPct.length > 0) devices[name].gpuUtilisationPct = mean(acc.gpuUtilisationPct);
    }
    return { placement: ai.placement, mode: ai.mode, stages: ai.stages.map((s) => s.name), workers: ai.workers, queue: ai.queue, backend: ai.backend.type, budgetMs: ai.budgetMs, devices, events: this.sfuEvents };
  }

  private async writeOutputs(ending: { status: 'aborted' | 'error'; code: string; message: string } | undefined): Promise<RunResult> {
    this.emit({ type: 'phase', phase: 'writing', message: `writing results to ${this.options.outDir}` });
    if (this.scenario.browser.wsEndpoint && this.plan.some((p) => p.kind === 'browser')) {
      this.notes.push('browsers connected through browser.wsEndpoint run outside this run: their CPU is not measured, so their saturation is not judged');
    }
    const speech = this.scenario.ai.speech && this.scenario.ai.placement === 'cloud' ? this.recordSpeech() : undefined;
    this.noteAi();
    for (const fault of this.faults) this.notes.push(`fault at ${(fault.atMs / 1000).toFixed(1)} s: ${fault.what}; ${fault.cost}`);
    const bottleneck = this.judgeBottleneck();
    if (!this.machine.available) this.notes.push('the machine\'s CPU is not read on this platform (no /proc/stat): machine-wide saturation is not judged');
    const saturation = this.usage.judge();
    if (saturation.reasons.length > 0) this.notes.push(`saturated: ${saturationBrief(saturation)}; these numbers measure the load generator, not the system (summary.saturation has each line crossed, by how much and for how long)`);
    const summary = buildSummary({
      runId: this.options.runId,
      scenario: this.scenario,
      series: this.series,
      startedMs: this.startedMs,
      endedMs: nowMs(),
      processes: this.usage.snapshot(),
      saturated: saturation.reasons.length > 0,
      peers: { planned: this.plan.length, connected: this.connected, failed: this.failed },
      notes: this.notes,
      ...(ending ? { ending } : {}),
    });
    summary.accounting = this.collector.accounting.summary();
    summary.saturation = saturation;
    if (this.sfu) summary.sfu = { forwardMs: this.sfuForwardMs, seconds: this.sfuSeconds.map((s) => ({ tMs: Math.round(s.ms - this.startedMs), cpuPct: Math.round(s.cpuPct * 10) / 10, loopDelayP99Ms: Math.round(s.loopDelayP99Ms * 10) / 10 })) };
    if (bottleneck) summary.bottleneck = bottleneck;
    if (this.holdStartMs > 0 && this.sendingStoppedMs > 0) {
      const fromMs = this.collector.measureFromMs - this.startedMs;
      const toMs = Math.max(fromMs, this.sendingStoppedMs - this.startedMs);
      summary.window = { fromMs, toMs, durationMs: toMs - fromMs };
    }
    if (this.scenario.executor.type !== 'constant-peers' || this.holdStartMs > 0) summary.load = this.loadSummary();
    if (this.options.shard) summary.shard = this.options.shard;
    if (this.network) summary.network = this.networkSummary();
    if (this.faults.length > 0) summary.faults = this.faults;
    if (this.scenario.ai.placement !== 'none') summary.ai = this.aiSummary();
    if (speech) summary.speech = speech;
    await this.frames.close();
    if (this.influx) {
      await this.influx.writeSummary(summary).catch(() => undefined);
      await this.influx.close();
      summary.influx = {
        target: this.influx.target,
        pointsWritten: this.influx.pointsWritten,
        pointsPending: this.influx.pointsPending,
        warnings: this.influx.warnings,
      };
      if (this.influx.pointsPending > 0) summary.influx.pendingFile = join(this.options.outDir, 'influx-pending.lp');
    }
    if (this.utterances.length > 0) {
      const file = join(this.options.outDir, 'utterances.ndjson');
      await writeFile(file, this.utterances.map((u) => JSON.stringify(u)).join('\n') + '\n');
      summary.utterances = { count: this.utterances.length, file };
    }
    await writeFile(join(this.options.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await writeFile(join(this.options.outDir, 'junit.xml'), renderJunit(summary));
    await writeReport(this.options.outDir).catch((error: unknown) => this.emit({ type: 'warning', message: `report.html not written: ${describeError(error)}` }));
    return { summary, outDir: this.options.outDir, exitCode: exitCodeOf(summary) };
  }
}

/** The reference SFU's per-packet fan-out time (its `/stats`), or null when it cannot be read. */
async function fetchForwardStats(baseUrl: string): Promise<TrendSummary | null> {
  try {
    const response = await fetch(`${baseUrl}/stats`, { signal: AbortSignal.timeout(2000) });
    return ((await response.json()) as { forwardMs: TrendSummary | null }).forwardMs;
  } catch {
    return null;
  }
}

/** The CLI's exit code of a run's summary (design.md section 6). */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.status === 'passed') return EXIT_CODES.ok;
  if (summary.status === 'failed') return EXIT_CODES.thresholdFailed;
  if (summary.status === 'aborted') {
    // abortOnFail is a threshold failure (k6 exits 99); Ctrl-C is 105
    return summary.error?.code === 'THRESHOLD_FAILED' ? EXIT_CODES.thresholdFailed : EXIT_CODES.aborted;
  }
  return EXIT_CODES.runFailed;
}
