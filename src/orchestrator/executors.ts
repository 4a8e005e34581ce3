/**
 * Executors steer the load during the hold: ramping-peers brings the number of subscribers to the ramp's
 * target (the last to join leaves first), arrival-rate starts each planned call when it is due and ends it
 * after its duration. constant-peers connects everyone before the hold and does not steer.
 */
import { connectPublishers, connectSubscriber, leave } from './peer-connections.js';
import type { PlannedPeer } from './plan.js';
import type { RunContext } from './run-context.js';
import { planCalls, type PlannedCall, rampTarget } from './schedule.js';

/** DTLS handshakes are CPU-heavy: a bounded number in flight per runner keeps connection set-up orderly */
export const CONNECTS_IN_FLIGHT_PER_RUNNER = 8;

type Call = PlannedCall & { state: 'due' | 'running' | 'ended'; starting?: Promise<void> };

export class Executors {
  /** arrival-rate: the calls of this run (shard), and how far each has got */
  private calls: Call[] = [];
  /** arrival-rate: calls not started because maxCalls were running (counted once, by the unsharded run) */
  callsDropped = 0;

  constructor(private readonly ctx: RunContext) {}

  /** arrival-rate: plans this run's (shard's) calls; they start during the hold. */
  planArrivals(): void {
    const { scenario, plan, options } = this.ctx;
    if (scenario.executor.type !== 'arrival-rate') return;
    const executor = scenario.executor;
    const { calls, droppedAtMs } = planCalls(executor, scenario.durationMs);
    const mine = new Set(plan.map((p) => p.room));
    this.calls = calls.filter((c) => mine.has(c.room)).map((c) => ({ ...c, state: 'due' as const }));
    this.callsDropped = options.shard ? 0 : droppedAtMs.length;
    const perCall = scenario.peers.reduce((sum, g) => sum + g.count, 0);
    this.ctx.emit({
      type: 'phase',
      phase: 'connecting',
      message: `arrival-rate: ${this.calls.length} call(s) of ${perCall} peers start during the hold, ${executor.ratePerSecond.toFixed(2)}/s, at most ${executor.maxCalls} at once`,
    });
  }

  /** ramping-peers: the ramp holds the subscribers that connected before the hold, in their order. */
  rampStart(subscribers: PlannedPeer[], connected: boolean[]): void {
    subscribers.forEach((peer, i) => {
      if (connected[i]) this.ctx.peers.rampTake(peer.peerId);
    });
  }

  /** Brings the load to what the schedule wants `elapsedMs` into the hold. */
  steer(elapsedMs: number): void {
    const { executor } = this.ctx.scenario;
    if (executor.type === 'ramping-peers') this.steerRamp(rampTarget(executor, elapsedMs));
    else if (executor.type === 'arrival-rate') {
      for (const call of this.calls) {
        if (call.state === 'due' && elapsedMs >= call.startMs) {
          call.state = 'running';
          call.starting = this.startCall(call);
        } else if (call.state === 'running' && elapsedMs >= call.endMs && call.endMs < this.ctx.scenario.durationMs) {
          call.state = 'ended';
          // a call shorter than its peers take to connect ends once they have
          void (call.starting ?? Promise.resolve()).then(() => this.endCall(call));
        }
      }
    }
  }

  get callsRunning(): number {
    return this.calls.filter((c) => c.state === 'running').length;
  }

  get callsStarted(): number {
    return this.calls.filter((c) => c.state !== 'due').length;
  }

  /** ramping-peers: `target` is the whole run's, in slot order; a shard keeps the slots of its rooms. */
  private steerRamp(target: number): void {
    const { ctx } = this;
    const { peers } = ctx;
    const mine = new Set(ctx.plan.map((p) => p.peerId));
    const wanted = ctx.subscriberSlots.slice(0, target).filter((p) => mine.has(p.peerId)).length;
    const limit = CONNECTS_IN_FLIGHT_PER_RUNNER * ctx.runners.length;
    while (peers.rampCount < wanted && peers.joiningCount < limit) {
      const next = ctx.subscriberSlots.find((p) => mine.has(p.peerId) && peers.rampCanTake(p.peerId));
      if (!next) break;
      peers.rampTake(next.peerId);
      void connectSubscriber(ctx, next).then((outcome) => {
        if (!outcome.ok) peers.rampRelease(next.peerId);
        else if (outcome.leaveNow) void leave(ctx, next);
      });
    }
    while (peers.rampCount > wanted) {
      const last = peers.rampLast() as string;
      peers.rampRelease(last);
      if (peers.stateOf(last) === 'joining') peers.leaveAfterJoin(last);
      else {
        const peer = ctx.plan.find((p) => p.peerId === last);
        if (peer) void leave(ctx, peer);
      }
    }
  }

  private async startCall(call: PlannedCall): Promise<void> {
    const peers = this.ctx.plan.filter((p) => p.room === call.room);
    await connectPublishers(
      this.ctx,
      peers.filter((p) => p.role === 'publisher'),
    );
    await Promise.all(peers.filter((p) => p.role === 'subscriber').map((p) => connectSubscriber(this.ctx, p)));
  }

  /** Subscribers leave first (their windows close), then the publishers. */
  private async endCall(call: PlannedCall): Promise<void> {
    const peers = this.ctx.plan.filter((p) => p.room === call.room);
    await Promise.all(peers.filter((p) => p.role === 'subscriber').map((p) => leave(this.ctx, p)));
    await Promise.all(peers.filter((p) => p.role === 'publisher').map((p) => leave(this.ctx, p)));
  }
}
