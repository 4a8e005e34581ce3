/**
 * A run, start to end: preflight (SFU, peer runners) -> connect publishers, then subscribers -> hold for the
 * scenario's duration -> drain (publishers stop, the loss window passes, subscribers leave) -> close ->
 * write outputs. Whatever happens after the output directory exists, the run writes a readable summary,
 * the frames recorded so far and junit.xml, and leaves no child process behind.
 */
import { mkdir } from 'node:fs/promises';

import { describeError, GlassbenchError, InterruptedError } from '../errors.js';
import { nowMs, sleep } from '../metrics/clock.js';
import { LOSS_WINDOW_MS } from '../metrics/collector.js';
import type { TrendSummary } from '../metrics/histogram.js';
import { MachineCpuReader } from '../metrics/machine.js';
import { ResourceSampler } from '../metrics/resources.js';
import { type LinkCounts, NetworkLab } from '../network/links.js';
import type { LoadSummary, StartAtSummary } from '../report/summary.js';
import type { NetworkProfile } from '../scenario/types.js';
import type { InfluxSink } from '../sinks/influx-sink.js';
import { mapWithConcurrency } from './concurrency.js';
import { CONNECTS_IN_FLIGHT_PER_RUNNER, Executors } from './executors.js';
import { abortOnFailReason, endOutage, holdTick } from './hold-tick.js';
import { connectPublishers, connectSubscriber } from './peer-connections.js';
import { describePeerNetwork, resolvePeerNetwork } from './peer-network.js';
import { type PlannedRunner, planRun } from './plan.js';
import { checkRequirements } from './preflight-checks.js';
import type { RunContext } from './run-context.js';
import { type RunEnding, writeOutputs } from './run-outputs.js';
import { createRunContext } from './run-setup.js';
import { onRunnerEvent, onRunnerExit } from './runner-events.js';
import { closeRunners, startRunners } from './runner-pool.js';
import { type LoadStep, loadSteps } from './schedule.js';
import { missedStartError, waitForStart } from './start-barrier.js';
import { connectTarget, disconnectTarget } from './target-connect.js';
import type { TelemetryClient } from './telemetry-client.js';
import type { RunOptions, RunResult } from './types.js';

/** how often an executor steers the load during the hold, ms */
const STEER_MS = 250;
/** publishers stop this long after the drain begins, all at one instant (their command must arrive first), ms */
const STOP_LEAD_MS = 100;

export async function runScenario(options: RunOptions): Promise<RunResult> {
  await mkdir(options.outDir, { recursive: true });
  const run = new Run(options);
  return run.execute();
}

class Run {
  private readonly ctx: RunContext;
  private readonly runnerPlan: PlannedRunner[];
  private readonly linkProfiles: NetworkProfile[];
  private readonly loadSteps: LoadStep[];
  private readonly executors: Executors;
  private readonly influx: InfluxSink | undefined;
  private readonly harnessSampler: ResourceSampler;
  /** the machine's CPU (and steal), read with the harness's own sample once a second */
  private readonly machine = new MachineCpuReader();
  private readonly timeline: LoadSummary['timeline'] = [];
  private judgeTimer: NodeJS.Timeout | undefined;
  private telemetryClient: TelemetryClient | undefined;
  private networkCounts: Record<string, { uplink: LinkCounts; downlink: LinkCounts } | undefined> = {};
  private sfuForwardMs: TrendSummary | null = null;
  /** set once a signal (SIGINT, SIGTERM) ended a phase early: the run drains and ends aborted */
  private interrupted = false;
  /** set when a threshold with abortOnFail failed: the run ends early, as a threshold failure */
  private thresholdAbort: string | undefined;
  /**
   * The one place the `--start-at` barrier reads "now": the SFU host's (or time host's) clock, as this shard
   * estimates it (local = remote + offsetMs), so shards on hosts whose clocks disagree still start together.
   */
  private readonly startClockMs = (): number => nowMs() - (this.ctx.clock?.offsetMs ?? 0);
  private startAt: StartAtSummary | undefined;

  constructor(private readonly options: RunOptions) {
    const plan = planRun(options.scenario, options.shard);
    this.runnerPlan = plan.runners;
    this.linkProfiles = plan.links;
    this.loadSteps = loadSteps(options.scenario, plan.peers.length);
    ({ ctx: this.ctx, influx: this.influx } = createRunContext(options, plan, this.loadSteps));
    this.executors = new Executors(this.ctx);
    this.harnessSampler = new ResourceSampler((s) => {
      this.ctx.usage.record('harness', s, 'harness', s.busiestThreadCpuPct);
      const m = this.machine.sample();
      if (m) this.ctx.usage.recordMachine(m);
    });
  }

  async execute(): Promise<RunResult> {
    let ending: RunEnding | undefined;
    this.harnessSampler.start();
    // frames are judged (written out, or counted lost) as they age, from the first one: during connecting and the
    // warm-up too, so a long warm-up neither holds its frames in memory nor writes them all at once when the hold
    // starts
    this.judgeTimer = setInterval(() => this.ctx.collector.finalise(nowMs()), 1000);
    this.judgeTimer.unref();
    // a signal ends the connection phase at once: the run drains instead of waiting for connectTimeout
    const interruptConnects = (): void => {
      for (const interrupt of [...this.ctx.connecting]) interrupt();
    };
    this.options.signal?.addEventListener('abort', interruptConnects);
    try {
      await this.preflight();
      this.throwIfAborted();
      await this.connectPeers();
      await this.warmUp();
      await this.awaitStart();
      await this.hold();
    } catch (error) {
      if (this.options.signal?.aborted) {
        ending = this.interruptedEnding();
      } else {
        const code = error instanceof GlassbenchError ? error.code : 'RUN_FAILED';
        ending = { status: 'error', code, message: describeError(error) };
      }
    }
    this.options.signal?.removeEventListener('abort', interruptConnects);
    if (!ending && this.thresholdAbort)
      ending = { status: 'aborted', code: 'THRESHOLD_FAILED', message: this.thresholdAbort };
    else if (!ending && this.interrupted) ending = this.interruptedEnding();
    await this.drainAndClose();
    return writeOutputs(this.ctx, {
      ending,
      executors: this.executors,
      loadSteps: this.loadSteps,
      timeline: this.timeline,
      influx: this.influx,
      machineCpuRead: this.machine.available,
      sfuForwardMs: this.sfuForwardMs,
      networkCounts: this.networkCounts,
      ...(this.startAt ? { startAt: this.startAt } : {}),
    });
  }

  private async preflight(): Promise<void> {
    const { ctx } = this;
    const { scenario, emit } = ctx;
    emit({ type: 'phase', phase: 'starting', message: 'starting the reference SFU and peer runners' });
    await checkRequirements(scenario, ctx.plan.length, this.options.shard);
    ctx.peerNetwork = await resolvePeerNetwork(scenario);
    if (scenario.target.type === 'external') ctx.notes.push(describePeerNetwork(ctx.peerNetwork));
    const { linkProfiles } = this;
    if (linkProfiles.length > 0) {
      emit({ type: 'phase', phase: 'starting', message: `making ${linkProfiles.length} impaired network link(s)` });
      ctx.network = await NetworkLab.create(linkProfiles, (message) => emit({ type: 'warning', message }));
      ctx.notes.push(
        `network impairment: ${ctx.network.list[0]?.engine === 'netem' ? 'Linux netem on veth pairs' : "glassbench's user-space link emulator on TUN devices (this kernel has no netem)"}, ${ctx.network.list.length} namespace(s)`,
      );
    }
    this.telemetryClient = await connectTarget(ctx);
    const links = ctx.network?.list ?? [];
    ctx.runners = await startRunners(
      this.runnerPlan.map((r) => {
        const link = r.link === undefined ? undefined : links[r.link];
        return link ? { netns: link.netns, address: link.peerAddress } : {};
      }),
      (runner, event) => onRunnerEvent(ctx, runner, event),
      (runner, code) => onRunnerExit(ctx, runner, code),
    );
  }

  private async connectPeers(): Promise<void> {
    const { ctx } = this;
    const { executor } = ctx.scenario;
    if (executor.type === 'arrival-rate') return this.executors.planArrivals();
    const publishers = ctx.plan.filter((p) => p.role === 'publisher');
    const mine = new Set(ctx.plan.map((p) => p.peerId));
    const subscribers =
      executor.type === 'ramping-peers'
        ? ctx.subscriberSlots.slice(0, executor.startTarget).filter((p) => mine.has(p.peerId))
        : ctx.plan.filter((p) => p.role === 'subscriber');
    ctx.emit({
      type: 'phase',
      phase: 'connecting',
      message: `connecting ${publishers.length} publisher(s), then ${subscribers.length} subscriber(s)`,
    });
    await connectPublishers(ctx, publishers);
    this.throwIfAborted();
    if (ctx.streams.size === 0)
      throw new GlassbenchError(
        'RUN_FAILED',
        `no publisher connected (${ctx.peers.failures[0]?.message ?? 'unknown reason'})`,
      );
    // DTLS handshakes are CPU-heavy: a bounded number in flight per runner keeps connection set-up orderly. After
    // a signal no more are started: the run drains at once, while its children wait for it (child-signals.ts)
    const outcomes = await mapWithConcurrency(
      subscribers,
      CONNECTS_IN_FLIGHT_PER_RUNNER * ctx.runners.length,
      (peer) =>
        this.options.signal?.aborted
          ? Promise.resolve({ ok: false as const, message: 'not connected: the run was interrupted' })
          : connectSubscriber(ctx, peer),
    );
    if (executor.type === 'ramping-peers')
      this.executors.rampStart(
        subscribers,
        outcomes.map((o) => o.ok),
      );
    this.throwIfAborted();
    if (subscribers.length > 0 && !outcomes.some((o) => o.ok)) {
      throw new GlassbenchError(
        'RUN_FAILED',
        `no subscriber connected (${ctx.peers.failures[0]?.message ?? 'unknown reason'})`,
      );
    }
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw this.interruption();
  }

  /** What interrupted the run: the abort's reason (the CLI's names its signal). Marks the run interrupted. */
  private interruption(): GlassbenchError {
    this.interrupted = true;
    const reason: unknown = this.options.signal?.reason;
    return reason instanceof GlassbenchError ? reason : new GlassbenchError('ABORTED', 'interrupted');
  }

  private interruptedEnding(): RunEnding {
    const reason = this.interruption();
    return {
      status: 'aborted',
      code: 'ABORTED',
      message: reason.message,
      ...(reason instanceof InterruptedError ? { signal: reason.signal } : {}),
    };
  }

  /** Runs the warm-up (scenario `warmup`): load as in the hold, nothing measured. */
  private async warmUp(): Promise<void> {
    const ms = this.ctx.scenario.warmupMs;
    if (ms <= 0) return;
    this.ctx.emit({
      type: 'phase',
      phase: 'warming-up',
      message: `warming up for ${Math.round(ms / 100) / 10} s (not measured)`,
    });
    try {
      await sleep(ms, this.options.signal);
    } catch {
      throw this.interruption();
    }
  }

  /** `--start-at`: after the warm-up (load as in the hold, nothing measured), wait for the instant. */
  private async awaitStart(): Promise<void> {
    const start = this.options.startAt;
    if (!start) return;
    const inS = Math.max(0, (start.atMs - this.startClockMs()) / 1000).toFixed(1);
    this.ctx.emit({
      type: 'phase',
      phase: 'waiting',
      message: `waiting for the start at ${new Date(start.atMs).toISOString()} (in ${inS} s; not measured)`,
    });
    try {
      this.startAt = await waitForStart(start, { nowMs: this.startClockMs, signal: this.options.signal });
    } catch {
      throw this.interruption();
    }
    if (this.startAt.missed) throw missedStartError(this.startAt);
  }

  private async hold(): Promise<void> {
    const { ctx } = this;
    const holdStartMs = (ctx.holdStartMs = nowMs());
    ctx.collector.startMeasuring(holdStartMs);
    ctx.usage.windowStartMs = holdStartMs;
    const total = ctx.scenario.durationMs;
    ctx.emit({ type: 'phase', phase: 'running', message: `measuring for ${Math.round(total / 1000)} s` });
    let lastTickMs = holdStartMs;
    ctx.network?.startSchedules();
    const steering = ctx.scenario.executor.type !== 'constant-peers';
    if (this.executors.callsDropped > 0) ctx.series.add('calls_dropped', {}, this.executors.callsDropped);
    while (nowMs() - holdStartMs < total) {
      if (steering) {
        this.executors.steer(nowMs() - holdStartMs);
        if (nowMs() - lastTickMs < 1000 - STEER_MS / 2) {
          if (!(await this.sleepInHold(Math.min(STEER_MS, Math.max(0, total - (nowMs() - holdStartMs)))))) return;
          continue;
        }
      }
      const waitMs = steering ? 0 : Math.min(1000, total - (nowMs() - holdStartMs));
      if (!(await this.sleepInHold(Math.max(0, waitMs)))) return;
      if (ctx.faults.fatal) throw new GlassbenchError('RUN_FAILED', ctx.faults.fatal);
      const now = nowMs();
      holdTick(ctx, this.timeline, this.executors, now, lastTickMs);
      lastTickMs = now;
      this.thresholdAbort = abortOnFailReason(ctx, now) ?? this.thresholdAbort;
      if (this.thresholdAbort) return;
    }
  }

  /** False when a signal ended the hold. */
  private async sleepInHold(ms: number): Promise<boolean> {
    try {
      await sleep(ms, this.options.signal);
      return true;
    } catch {
      this.interruption();
      return false;
    }
  }

  private async drainAndClose(): Promise<void> {
    const { ctx } = this;
    ctx.emit({ type: 'phase', phase: 'draining', message: 'stopping publishers and waiting for frames in flight' });
    endOutage(ctx, nowMs());
    // publishers end their timetables at one instant a little ahead, so the command's trip over IPC does not
    // let a runner send slots past the window's end: every publisher's last due slot is before sendingStoppedMs
    ctx.sendingStoppedMs = nowMs() + STOP_LEAD_MS;
    ctx.collector.measureUntilMs = ctx.sendingStoppedMs;
    ctx.usage.windowEndMs = ctx.sendingStoppedMs;
    const alive = ctx.runners.filter((r) => r.alive);
    for (const runner of alive) runner.send({ type: 'stop-sending', atMs: ctx.sendingStoppedMs });
    if (alive.length > 0 && ctx.holdStartMs > 0) await sleep(STOP_LEAD_MS + LOSS_WINDOW_MS + 200);
    ctx.closing = true;
    await closeRunners(ctx.runners);
    if (ctx.network) this.networkCounts = await ctx.network.close();
    this.sfuForwardMs = await disconnectTarget(ctx, this.telemetryClient);
    this.harnessSampler.stop();
    clearInterval(this.judgeTimer);
    ctx.collector.finalise(nowMs(), true);
    ctx.collector.recordFps(ctx.sendingStoppedMs);
    if (ctx.holdStartMs > 0) ctx.series.windowMs = ctx.sendingStoppedMs - ctx.holdStartMs;
  }
}
