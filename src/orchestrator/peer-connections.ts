/**
 * Connecting peers and taking them out: the start command a peer's runner gets (with the URL the runner
 * reaches the SFU at), the wait for it to connect or fail, and the wait for it to leave.
 */
import { nowMs } from '../metrics/clock.js';
import { janusRoomOf } from '../scenario/validate-janus.js';
import { type PlannedPeer, roomUrl } from './plan.js';
import { subscriberQuality } from './quality-spec.js';
import type { PeerOutcome, RunContext, StreamSource } from './run-context.js';

/** a runner that does not confirm a leave within this long is not waited for, ms */
const LEAVE_TIMEOUT_MS = 10_000;
/** the harness waits this much longer than the runner's own connect timeout before it gives up, ms */
const CONNECT_GRACE_MS = 5000;

/** Starts one peer on its runner and waits for it to connect or fail. */
function startPeer(ctx: RunContext, peer: PlannedPeer, sources: StreamSource[]): Promise<PeerOutcome> {
  const { scenario } = ctx;
  const runner = ctx.runners[peer.runner];
  const timeoutMs = scenario.connectTimeoutMs;
  const token = scenario.target.type !== 'reference' ? scenario.target.token : undefined;
  return new Promise<PeerOutcome>((resolve) => {
    let done = false;
    const timer = setTimeout(
      () => settle({ ok: false, message: `did not connect within ${timeoutMs} ms` }),
      timeoutMs + CONNECT_GRACE_MS,
    );
    // a signal: the peer is not waited for (nor counted failed); its runner stops it when the run closes
    const interrupt = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ctx.connecting.delete(interrupt);
      ctx.peers.abandon(peer.peerId);
      resolve({ ok: false, message: 'not connected: the run was interrupted' });
    };
    ctx.connecting.add(interrupt);
    const settle = (outcome: PeerOutcome): void => {
      if (done) return;
      done = true;
      ctx.connecting.delete(interrupt);
      clearTimeout(timer);
      if (outcome.ok) resolve({ ...outcome, ...(ctx.peers.joined(peer.peerId) ? { leaveNow: true } : {}) });
      else {
        markFailed(ctx, peer.peerId, outcome.message, 'connect');
        resolve(outcome);
      }
    };
    ctx.peers.startJoining(peer.peerId, settle);
    if (!runner?.alive) {
      settle({ ok: false, message: 'its peer runner is not running' });
    } else if (peer.role === 'publisher') {
      const target = scenario.target;
      const endpointUrl =
        target.type === 'reference'
          ? `${baseUrlFor(ctx, peer)}/whip/${peer.room}`
          : target.type === 'janus'
            ? target.url
            : roomUrl(target.whipUrl, peer.room);
      const spec = {
        ...(target.type === 'janus'
          ? { janus: { room: janusRoomOf(target, peer.room), createRoom: target.createRooms } }
          : {}),
        peerId: peer.peerId,
        kind: peer.kind,
        room: peer.room,
        endpointUrl,
        network: ctx.peerNetwork,
        publisherTag: peer.publisherTag ?? 0,
        silenceTimeoutMs: scenario.silenceTimeoutMs,
        video: peer.video,
        ...browserEndpoint(ctx),
        ...(peer.audio ? { audio: peer.audio } : {}),
        ...(peer.avSync ? { avSync: true } : {}),
        ...(peer.identifyRtp ? { identifyRtp: true } : {}),
        ...(scenario.ai.placement === 'edge' ? { edgeAi: { stages: scenario.ai.stages } } : {}),
      };
      runner.send({ type: 'start-publisher', spec: token ? { ...spec, token } : spec, connectTimeoutMs: timeoutMs });
    } else {
      // the glassbench-ai DataChannel carries AI results (tap) and subtitles (translation chain, option A);
      // translated speech (option B) is heard in the audio
      const { ai } = scenario;
      const cloud = ai.placement === 'cloud';
      const tap =
        cloud &&
        ((ai.mode === 'tap' && ai.stages.length > 0) ||
          ai.speech?.output === 'subtitles' ||
          ai.speech?.output === 'both');
      const listen = cloud && (ai.speech?.output === 'speech' || ai.speech?.output === 'both');
      // a runner behind an impaired link reaches the SFU at the link's host end
      const base = ctx.sfu?.baseUrl;
      const own = baseUrlFor(ctx, peer);
      const reachable =
        base && own !== base
          ? sources.map((s) => ({
              ...s,
              endpointUrl: s.endpointUrl.startsWith(base) ? own + s.endpointUrl.slice(base.length) : s.endpointUrl,
            }))
          : sources;
      const spec = {
        peerId: peer.peerId,
        kind: peer.kind,
        room: peer.room,
        sources: reachable,
        silenceTimeoutMs: scenario.silenceTimeoutMs,
        network: ctx.peerNetwork,
        ...browserEndpoint(ctx),
        ...(tap ? { aiResults: true } : {}),
        ...(listen ? { speechOnsets: true } : {}),
        ...(scenario.peers.some((g) => g.avSync) ? { avSync: true } : {}),
        quality: subscriberQuality(scenario, peer),
      };
      runner.send({ type: 'start-subscriber', spec: token ? { ...spec, token } : spec, connectTimeoutMs: timeoutMs });
    }
  });
}

/** Connects publishers and makes their streams joinable by their rooms' subscribers. */
export async function connectPublishers(ctx: RunContext, publishers: PlannedPeer[]): Promise<void> {
  const outcomes = await Promise.all(
    publishers.map(async (peer) => ({ peer, outcome: await startPeer(ctx, peer, []) })),
  );
  for (const { peer, outcome } of outcomes) {
    if (!outcome.ok) continue;
    const tag = peer.publisherTag ?? 0;
    ctx.collector.registerPublisher(tag, peer.peerId, outcome.streamId);
    const target = ctx.scenario.target;
    let source: StreamSource;
    if (target.type === 'janus') {
      // a Janus stream is the publisher's feed in its room: subscribers join it, Janus offers
      const feed = { room: janusRoomOf(target, peer.room), feed: Number(outcome.streamId) };
      source = { endpointUrl: target.url, publisherTag: tag, janus: feed };
    } else {
      const endpointUrl =
        target.type === 'reference'
          ? `${ctx.sfu?.baseUrl}/whep/${peer.room}?stream=${encodeURIComponent(outcome.streamId ?? '')}`
          : roomUrl(target.whepUrl, peer.room);
      source = { endpointUrl, publisherTag: tag };
    }
    // glassbench's pattern, which receivers regenerate to score pictures (picture-quality.ts)
    if (peer.kind === 'browser' || peer.video.source === 'encoded')
      source.picture = {
        width: peer.video.width,
        height: peer.video.height,
        pattern: peer.video.texture ? 'textured' : peer.kind === 'browser' ? 'canvas' : 'flat',
      };
    (ctx.streams.get(peer.room) ?? ctx.streams.set(peer.room, []).get(peer.room))?.push(source);
  }
}

/** Connects a subscriber to its room's streams; fails at once when the room has none. */
export function connectSubscriber(ctx: RunContext, peer: PlannedPeer): Promise<PeerOutcome> {
  const sources = ctx.streams.get(peer.room) ?? [];
  if (sources.length === 0) {
    markFailed(ctx, peer.peerId, `room ${peer.room} has no connected publisher`, 'connect');
    return Promise.resolve({ ok: false, message: 'no publisher' });
  }
  return startPeer(ctx, peer, sources);
}

/** Asks a peer's runner to take it out of the run; resolves once it has left (or its runner is gone). */
export function leave(ctx: RunContext, peer: PlannedPeer): Promise<void> {
  const runner = ctx.runners[peer.runner];
  if (!runner?.alive || !ctx.peers.isJoined(peer.peerId)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      ctx.peers.leaveTimedOut(peer.peerId);
      resolve();
    }, LEAVE_TIMEOUT_MS);
    ctx.peers.startLeaving(peer.peerId, () => {
      clearTimeout(timer);
      resolve();
    });
    runner.send({ type: 'stop-peer', peerId: peer.peerId });
  });
}

/** Records a peer's failure (to connect, or while running) and tells the console. False when it had already failed. */
export function markFailed(ctx: RunContext, peer: string, message: string, when: 'connect' | 'running'): boolean {
  const failure = { message, atMs: Math.round(nowMs() - ctx.startedMs) };
  if (when === 'connect') ctx.peers.connectFailed(peer, failure);
  else if (!ctx.peers.failedWhileRunning(peer, failure)) return false;
  ctx.emit({ type: 'peer-failed', peer, message });
  return true;
}

/** The reference SFU's URL as the peer's runner reaches it: loopback, or its link's host end. */
function baseUrlFor(ctx: RunContext, peer: PlannedPeer): string {
  const base = ctx.sfu?.baseUrl ?? '';
  const link = peer.link === undefined ? undefined : ctx.network?.list[peer.link];
  return link ? base.replace('127.0.0.1', link.hostAddress) : base;
}

function browserEndpoint(ctx: RunContext): { browserWSEndpoint?: string } {
  const wsEndpoint = ctx.scenario.browser.wsEndpoint;
  return wsEndpoint ? { browserWSEndpoint: wsEndpoint } : {};
}
