/**
 * What the run does with its peer runners' events (records, resources, stats, peers connecting, failing and
 * leaving) and with a runner that exits while the run needs it.
 */
import { LOSS_WINDOW_MS } from '../metrics/accounting.js';
import { nowMs } from '../metrics/clock.js';
import type { RunnerEvent } from '../protocol/runner-ipc.js';
import { markFailed } from './peer-connections.js';
import type { RunContext } from './run-context.js';
import type { RunnerHandle } from './runner-pool.js';

export function onRunnerEvent(ctx: RunContext, runner: RunnerHandle, event: RunnerEvent): void {
  const now = nowMs();
  const { collector } = ctx;
  switch (event.type) {
    case 'records':
      ctx.speech.utterances.push(...event.utterances);
      ctx.speech.onsets.push(...event.onsets);
      for (const marker of event.avMarkers ?? []) ctx.avSync.onMarker(marker);
      for (const record of event.edgeAi) collector.onTelemetry(record, now);
      for (const record of event.sent) collector.onSent(record, now);
      for (const record of event.skipped) collector.onSkipped(record);
      for (const record of event.aiResults) {
        if (record.f.startsWith('sub:')) ctx.speech.subtitles.push(record);
        else collector.onAiResult(record, now);
      }
      for (const record of event.received) {
        collector.onReceived(record, now);
        ctx.recent.frames += 1;
        const arrivalMs = record.renderedMs ?? record.receivedMs;
        if (record.captureMs !== undefined && arrivalMs !== undefined)
          ctx.recent.latency.record(arrivalMs - record.captureMs);
      }
      return;
    case 'resources':
      ctx.usage.record(runner.name, event, 'generator', event.busiestThreadCpuPct);
      if (event.browserCpuPct !== undefined) {
        const sample = {
          ms: event.ms,
          cpuPct: event.browserCpuPct,
          rssMb: event.browserRssMb ?? 0,
          ...(event.browserLoopDelayP99Ms !== undefined ? { loopDelayP99Ms: event.browserLoopDelayP99Ms } : {}),
        };
        ctx.usage.record(`browser-${runner.index + 1}`, sample, 'generator', event.browserMaxProcessCpuPct);
      }
      return;
    case 'stats': {
      collector.onStats(event.peer, event.sample);
      const info = ctx.peerInfo.get(event.peer);
      ctx.sinks.writeStats(
        event.peer,
        info?.room ?? '',
        info?.kind ?? 'browser',
        event.sample,
        event.sample.ms < collector.measureFromMs,
      );
      return;
    }
    case 'publisher-ready':
      ctx.speech.publisherByStream.set(event.streamId, event.peerId);
      ctx.peers.pending(event.peerId)?.({ ok: true, streamId: event.streamId });
      return;
    case 'subscriber-ready': {
      const pending = ctx.peers.pending(event.peerId);
      // settled already (lost while connecting, timed out, the run interrupted): none of its frames are expected
      if (!pending) return;
      for (const window of event.windows) collector.addWindow(window);
      pending({ ok: true, windows: event.windows });
      return;
    }
    case 'peer-failed': {
      const pending = ctx.peers.pending(event.peerId);
      if (pending) pending({ ok: false, message: event.message });
      else if (markFailed(ctx, event.peerId, event.message, 'running')) {
        // a peer that was running failed: stop expecting frames from it, carry on
        collector.endWindows(event.peerId, now);
        ctx.faults.record(event.message, [event.peerId], false);
      }
      return;
    }
    case 'connection-lost':
      onConnectionLost(ctx, event, now);
      return;
    case 'peer-error':
      ctx.peers.recordError(event.peerId, event.message);
      return;
    case 'closed':
      for (const window of event.windows) collector.addWindow(window);
      return;
    case 'peer-left':
      for (const window of event.windows) collector.addWindow(window);
      ctx.peers.left(event.peerId);
      return;
    case 'signalled':
      runner.signalled = event.signal;
      // a signal to the process group: the run drains and closes the runner, nothing to warn about
      if (!ctx.closing && !ctx.options.signal?.aborted)
        ctx.emit({
          type: 'warning',
          message: `${runner.name} got ${event.signal}: it stops in ${event.stopsInMs / 1000} s unless the run has ended`,
        });
      return;
    case 'ready':
      return;
  }
}

/**
 * a subscriber's session ends with its publisher's: when the publisher was asked to leave, its SFU may end the
 * session up to this long before the leave is known here (a second between the watch's checks, a frame interval)
 */
const ENDS_WITH_LEAVE_MS = 3000;
/** when the publisher failed, its failure is known a second or so after the silence that showed it began, ms */
const ENDS_WITH_FAILURE_MS = 1000;

/** What the harness knows when a connection is reported lost: when the stream could have ended. */
export interface LostConnectionContext {
  /** nothing arrived on the connection after this (harness clock) */
  lastHeardMs: number;
  /** the run told its publishers to stop sending at this time; 0: not yet */
  sendingStoppedMs: number;
  /** a subscriber's connection: its publisher's state now, and when it was asked to leave or failed */
  publisher?: { state: 'connected' | 'left' | 'failed'; endedMs?: number };
}

/**
 * Whether a lost connection is its peer's failure. A publisher's is. A subscriber's is too, unless its stream
 * had ended by then: its publisher had left or failed (the SFU ends the stream's sessions with it), or the run
 * had stopped its publishers.
 */
export function lostConnectionIsFailure(c: LostConnectionContext): boolean {
  if (c.sendingStoppedMs > 0 && c.lastHeardMs >= c.sendingStoppedMs - ENDS_WITH_LEAVE_MS) return false;
  const p = c.publisher;
  if (!p || p.state === 'connected') return true;
  const margin = p.state === 'failed' ? ENDS_WITH_FAILURE_MS : ENDS_WITH_LEAVE_MS;
  return c.lastHeardMs < (p.endedMs ?? Number.NEGATIVE_INFINITY) - margin;
}

/** A peer's connection stopped hearing from the target (peers/liveness.ts): a failure, or its stream's end. */
function onConnectionLost(
  ctx: RunContext,
  event: Extract<RunnerEvent, { type: 'connection-lost' }>,
  now: number,
): void {
  if (ctx.closing) return;
  // one of its streams was lost before all had connected: it did not connect
  const pending = ctx.peers.pending(event.peerId);
  if (pending) return pending({ ok: false, message: event.message });
  if (!ctx.peers.isJoined(event.peerId)) return;
  const publisher =
    event.publisherTag === undefined
      ? undefined
      : ctx.plan.find((p) => p.role === 'publisher' && p.publisherTag === event.publisherTag)?.peerId;
  const endedMs = publisher === undefined ? undefined : ctx.peers.endedMs(publisher);
  const state = publisher === undefined ? undefined : ctx.peers.stateOf(publisher);
  const failure = lostConnectionIsFailure({
    lastHeardMs: event.lastHeardMs,
    sendingStoppedMs: ctx.sendingStoppedMs,
    ...(event.publisherTag === undefined
      ? {}
      : {
          publisher: {
            state: endedMs === undefined ? 'connected' : state === 'failed' ? 'failed' : 'left',
            ...(endedMs === undefined ? {} : { endedMs }),
          },
        }),
  });
  if (failure && markFailed(ctx, event.peerId, event.message, 'running')) {
    // every frame captured until now was due: nothing arrived after lastHeardMs, so none is still in flight, and
    // the frames of the silence are counted lost (a window's last LOSS_WINDOW_MS are otherwise not expected)
    ctx.collector.endWindows(event.peerId, now + LOSS_WINDOW_MS);
    ctx.faults.record(`${event.peerId}: ${event.message}`, [event.peerId], false);
    // every peer lost (the SFU restarted, say): nothing more can be measured, unless the executor brings new ones
    const { type } = ctx.scenario.executor;
    if (ctx.holdStartMs > 0 && ctx.peers.joinedCount === 0 && type !== 'arrival-rate' && type !== 'ramping-peers')
      ctx.faults.setFatal(`no peer is left (${event.peerId}: ${event.message})`);
  }
}

export function onRunnerExit(ctx: RunContext, runner: RunnerHandle, code: number | null): void {
  if (ctx.closing) return;
  const how = code === null ? 'killed by a signal' : `code ${code}`;
  const message = runner.signalled
    ? `${runner.name} (pid ${runner.pid}) stopped after ${runner.signalled} before the run ended (${how})`
    : `${runner.name} (pid ${runner.pid}) exited unexpectedly (${how})`;
  ctx.emit({ type: 'warning', message });
  const now = nowMs();
  const lost: string[] = [];
  for (const peer of ctx.plan.filter((p) => p.runner === runner.index)) {
    const pending = ctx.peers.pending(peer.peerId);
    if (pending) {
      pending({ ok: false, message });
      lost.push(peer.peerId);
    } else if (ctx.peers.isJoined(peer.peerId)) {
      // its peers were running: record them, stop expecting frames at them, carry on with the others
      markFailed(ctx, peer.peerId, message, 'running');
      ctx.collector.endWindows(peer.peerId, now);
      lost.push(peer.peerId);
    }
  }
  ctx.faults.record(message, lost, false);
  if (ctx.holdStartMs > 0 && ctx.peers.joinedCount === 0) ctx.faults.setFatal(`no peer is left (${message})`);
}
