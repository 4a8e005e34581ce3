/**
 * What the hold does once a second: judges the frames that aged, samples the load for the timeline and
 * `peers_active`, reports progress (with the saturation judge over the window so far), and checks k6's
 * abortOnFail thresholds.
 */
import { Trend } from '../metrics/histogram.js';
import { evaluateThresholds } from '../report/build-summary.js';
import type { LoadSummary } from '../report/summary.js';
import type { Executors } from './executors.js';
import type { RunContext } from './run-context.js';

/** One second of the hold; `lastTickMs` is when the previous one was. */
export function holdTick(
  ctx: RunContext,
  timeline: LoadSummary['timeline'],
  executors: Executors,
  now: number,
  lastTickMs: number,
): void {
  const { scenario, peers } = ctx;
  ctx.collector.finalise(now);
  ctx.series.windowMs = now - ctx.holdStartMs;
  // the same judge as the summary's, over the window so far
  const saturation = ctx.usage.judge();
  const subscribersNow = ctx.plan.filter((p) => p.role === 'subscriber' && peers.isJoined(p.peerId)).length;
  const joined = peers.joinedCount;
  timeline.push({
    tMs: Math.round(now - ctx.holdStartMs),
    peers: joined,
    subscribers: subscribersNow,
    framesReceived: ctx.recent.frames,
    ...(scenario.executor.type === 'arrival-rate' ? { calls: executors.callsRunning } : {}),
  });
  ctx.series.record('peers_active', joined, {});
  noteOutage(ctx, subscribersNow > 0 && ctx.streams.size > 0, lastTickMs, now);
  const headline = ctx.plan.some((p) => p.role === 'subscriber' && p.kind === 'browser')
    ? 'g2g_latency_ms'
    : 'frame_latency_ms';
  const budget = scenario.thresholds.find(
    (t) =>
      t.metric === headline &&
      Object.keys(t.tags).length === 0 &&
      t.expression.aggregation.kind === 'percentile' &&
      t.expression.aggregation.percentile === 95,
  );
  ctx.emit({
    type: 'progress',
    elapsedMs: now - ctx.holdStartMs,
    totalMs: scenario.durationMs,
    peersConnected: joined,
    peersPlanned: ctx.plan.length,
    framesPerSecond: (ctx.recent.frames * 1000) / Math.max(1, now - lastTickMs),
    recentP95Ms: ctx.recent.latency.percentile(95),
    latencyMetric: headline,
    budgetP95Ms: budget ? budget.expression.value : null,
    saturated: saturation.reasons.length > 0,
    saturatedBy: saturation.reasons.map((r) => `${r.process} ${r.measure}`),
  });
  ctx.recent.frames = 0;
  ctx.recent.latency = new Trend();
}

/** how long no frame may reach any receiver, while frames are due, before it is an outage in the faults, ms */
const OUTAGE_MS = 2000;
const OUTAGE_COST =
  "its frames are lost or late (frames_lost, frames_late) and the receivers froze (freeze_count, freeze_ms); the timeline's framesReceived shows each second";

/**
 * An outage (a link down, an SFU gone and back): no frame reached any receiver for seconds while frames were
 * due. It is recorded once frames come back, with how long it lasted; what it cost is in the frames lost and
 * the receivers' freezes, and each second of it shows in the timeline (`framesReceived` 0).
 */
function noteOutage(ctx: RunContext, framesDue: boolean, lastTickMs: number, now: number): void {
  if (framesDue && ctx.recent.frames === 0) {
    ctx.outageSinceMs ??= lastTickMs;
    return;
  }
  const since = ctx.outageSinceMs;
  ctx.outageSinceMs = undefined;
  if (since === undefined || lastTickMs - since < outageMs(ctx)) return;
  // frames came back somewhere in this second: the outage lasted from `since` to between lastTickMs and now. Or
  // none are due any more: the last receivers were marked failed in it (their connections lost), or they left
  const subscribers = new Set(ctx.plan.flatMap((p) => (p.role === 'subscriber' ? [p.peerId] : [])));
  const failedInIt = ctx.peers.failures.some((f) => ctx.startedMs + f.atMs >= since && subscribers.has(f.peer));
  if (ctx.recent.frames === 0 && !failedInIt) return;
  const fromS = (since - ctx.holdStartMs) / 1000;
  ctx.faults.record(
    `no frame reached any receiver for ${((lastTickMs - since) / 1000).toFixed(0)}-${((now - since) / 1000).toFixed(0)} s, from ${fromS.toFixed(0)} s into the hold${ctx.recent.frames === 0 ? ', until the last receivers were marked failed' : ''}`,
    [],
    false,
    OUTAGE_COST,
  );
}

/** The silence that is an outage: 2 s, or three frame intervals of the slowest publisher when those are longer. */
function outageMs(ctx: RunContext): number {
  const fps = ctx.scenario.peers.flatMap((g) => (g.role === 'publisher' ? [g.video.fps] : []));
  return Math.max(OUTAGE_MS, fps.length > 0 ? 3000 / Math.min(...fps) : 0);
}

/** At the drain: an outage still on when the hold ended is recorded too, as lasting to the end. */
export function endOutage(ctx: RunContext, now: number): void {
  const since = ctx.outageSinceMs;
  ctx.outageSinceMs = undefined;
  if (since === undefined || now - since < outageMs(ctx)) return;
  ctx.faults.record(
    `no frame reached any receiver for the last ${((now - since) / 1000).toFixed(0)} s of the hold, from ${((since - ctx.holdStartMs) / 1000).toFixed(0)} s into it`,
    [],
    false,
    OUTAGE_COST,
  );
}

/** k6's abortOnFail, evaluated after each threshold's delayAbortEval: why the run should stop, if it should. */
export function abortOnFailReason(ctx: RunContext, now: number): string | undefined {
  const { scenario, series } = ctx;
  const elapsed = now - ctx.holdStartMs;
  const armed = scenario.thresholds.filter((t) => t.abortOnFail && elapsed >= t.delayAbortEvalMs);
  if (armed.length === 0) return undefined;
  let reason: string | undefined;
  const results = evaluateThresholds({ ...scenario, thresholds: armed }, series);
  for (const [key, list] of Object.entries(results)) {
    const failedResult = list.find((r) => !r.ok && r.actual !== null);
    if (failedResult)
      reason = `threshold ${key} ${failedResult.expr} failed (actual ${failedResult.actual}) and has abortOnFail`;
  }
  return reason;
}
