/**
 * The load timeline of an executor, as pure functions of time since the start of the hold: how many
 * subscribers a ramp wants now, which calls an arrival rate starts and when they end, and the stages the
 * report marks.
 */
import type { Executor, Scenario } from '../scenario/types.js';

export interface LoadStage {
  /** 1-based */
  index: number;
  startMs: number;
  endMs: number;
  /** concurrent subscribers (ramping-peers), calls (arrival-rate: the cap) or peers (constant) at the stage's start and end */
  fromTarget: number;
  target: number;
  label: string;
}

/** ramping-peers: the target at `tMs` into the hold, linear within a stage (k6's ramping-vus), rounded down. */
export function rampTarget(executor: Extract<Executor, { type: 'ramping-peers' }>, tMs: number): number {
  let from = executor.startTarget;
  let startMs = 0;
  for (const stage of executor.stages) {
    if (tMs < startMs + stage.durationMs) {
      const share = Math.max(0, tMs - startMs) / stage.durationMs;
      return Math.floor(from + (stage.target - from) * share + 1e-9);
    }
    from = stage.target;
    startMs += stage.durationMs;
  }
  return from;
}

export interface PlannedCall {
  /** the call's room (r1, r2, ...) */
  room: string;
  startMs: number;
  endMs: number;
}

/**
 * arrival-rate: call k is due at k / rate; it starts unless `maxCalls` calls are still running then (it is
 * dropped and counted). Calls end `callDurationMs` after they start, or with the hold.
 */
export function planCalls(executor: Extract<Executor, { type: 'arrival-rate' }>, holdMs: number): { calls: PlannedCall[]; droppedAtMs: number[] } {
  const calls: PlannedCall[] = [];
  const droppedAtMs: number[] = [];
  const intervalMs = 1000 / executor.ratePerSecond;
  for (let k = 0; k * intervalMs < holdMs; k += 1) {
    const startMs = k * intervalMs;
    const running = calls.filter((c) => c.startMs <= startMs && c.endMs > startMs).length;
    if (running >= executor.maxCalls) {
      droppedAtMs.push(startMs);
      continue;
    }
    calls.push({ room: `r${calls.length + 1}`, startMs, endMs: Math.min(holdMs, startMs + executor.callDurationMs) });
  }
  return { calls, droppedAtMs };
}

/** The stages a report marks: one per ramp stage, or one for the whole hold. */
export function loadStages(scenario: Pick<Scenario, 'executor' | 'durationMs'>, plannedPeers: number): LoadStage[] {
  const { executor } = scenario;
  if (executor.type === 'ramping-peers') {
    let startMs = 0;
    let from = executor.startTarget;
    return executor.stages.map((stage, i) => {
      const out: LoadStage = { index: i + 1, startMs, endMs: startMs + stage.durationMs, fromTarget: from, target: stage.target, label: from === stage.target ? `hold ${stage.target}` : `${from} -> ${stage.target}` };
      startMs += stage.durationMs;
      from = stage.target;
      return out;
    });
  }
  if (executor.type === 'arrival-rate') {
    const label = `${executor.ratePerSecond.toFixed(2)} calls/s, up to ${executor.maxCalls}`;
    return [{ index: 1, startMs: 0, endMs: scenario.durationMs, fromTarget: executor.maxCalls, target: executor.maxCalls, label }];
  }
  return [{ index: 1, startMs: 0, endMs: scenario.durationMs, fromTarget: plannedPeers, target: plannedPeers, label: `${plannedPeers} peers` }];
}

/** `--shard i/n`: whether room number `roomIndex` (1-based) belongs to shard i of n. Whole rooms go to one shard. */
export function inShard(roomIndex: number, shard: { index: number; count: number } | undefined): boolean {
  if (!shard) return true;
  return (roomIndex - 1) % shard.count === shard.index - 1;
}
