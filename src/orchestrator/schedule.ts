/**
 * The load schedule of an executor, as pure functions of time since the start of the hold: how many
 * subscribers a ramp wants now, which calls an arrival rate starts and when they end, and the load steps the
 * report marks. (Not to be confused with the order variants run in: src/orchestrator/variants.ts.)
 */
import type { Executor, Scenario } from '../scenario/types.js';

/** One load step of the hold as the report marks it (summary.json keeps calling the list `load.stages`). */
export interface LoadStep {
  /** 1-based */
  index: number;
  startMs: number;
  endMs: number;
  /**
   * concurrent subscribers (ramping-peers), calls (arrival-rate: the cap) or peers (constant) at the step's start and
   * end
   */
  fromTarget: number;
  target: number;
  label: string;
}

/** ramping-peers: the target at `tMs` into the hold, linear within a step (k6's ramping-vus), rounded down. */
export function rampTarget(executor: Extract<Executor, { type: 'ramping-peers' }>, tMs: number): number {
  let from = executor.startTarget;
  let startMs = 0;
  for (const step of executor.steps) {
    if (tMs < startMs + step.durationMs) {
      const share = Math.max(0, tMs - startMs) / step.durationMs;
      return Math.floor(from + (step.target - from) * share + 1e-9);
    }
    from = step.target;
    startMs += step.durationMs;
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
export function planCalls(
  executor: Extract<Executor, { type: 'arrival-rate' }>,
  holdMs: number,
): { calls: PlannedCall[]; droppedAtMs: number[] } {
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

/** The load steps a report marks: one per ramp step, or one for the whole hold. */
export function loadSteps(scenario: Pick<Scenario, 'executor' | 'durationMs'>, plannedPeers: number): LoadStep[] {
  const { executor } = scenario;
  if (executor.type === 'ramping-peers') {
    let startMs = 0;
    let from = executor.startTarget;
    return executor.steps.map((step, i) => {
      const out: LoadStep = {
        index: i + 1,
        startMs,
        endMs: startMs + step.durationMs,
        fromTarget: from,
        target: step.target,
        label: from === step.target ? `hold ${step.target}` : `${from} -> ${step.target}`,
      };
      startMs += step.durationMs;
      from = step.target;
      return out;
    });
  }
  if (executor.type === 'arrival-rate') {
    const label = `${executor.ratePerSecond.toFixed(2)} calls/s, up to ${executor.maxCalls}`;
    return [
      {
        index: 1,
        startMs: 0,
        endMs: scenario.durationMs,
        fromTarget: executor.maxCalls,
        target: executor.maxCalls,
        label,
      },
    ];
  }
  return [
    {
      index: 1,
      startMs: 0,
      endMs: scenario.durationMs,
      fromTarget: plannedPeers,
      target: plannedPeers,
      label: `${plannedPeers} peers`,
    },
  ];
}
