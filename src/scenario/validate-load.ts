/** Normalises the `executor` block: how load is applied, with the topology's places as the bound of a ramp. */
import { durationAt, type Problems } from './problems.js';
import type { RawExecutor } from './schema.js';
import type { Executor, RampStep } from './types.js';

/** The keys each executor type takes (the schema admits the union of them). */
const EXECUTOR_KEYS: Record<string, string[]> = {
  'constant-peers': ['type'],
  'ramping-peers': ['type', 'startTarget', 'stages'],
  'arrival-rate': ['type', 'rate', 'timeUnit', 'callDuration', 'maxCalls'],
};

/** `slotsPerRoom`: subscriber places per room (the subscriber groups' counts), which a ramp fills. */
export function toExecutor(
  problems: Problems,
  raw: RawExecutor | undefined,
  slotsPerRoom: number,
  rooms: number,
): Executor {
  // a value the schema refused (null, a string) still gets this far: see checkScenario
  if (raw === undefined || raw === null || typeof raw !== 'object') return { type: 'constant-peers' };
  const type = raw.type;
  const keys = EXECUTOR_KEYS[String(type)];
  if (!keys) return { type: 'constant-peers' }; // the schema said so
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key))
      problems.add(['executor', key], `does not apply to ${String(type)} (its keys: ${keys.join(', ')})`, {
        key: true,
      });
  }
  if (type === 'ramping-peers') {
    // the file calls a ramp's load steps `stages` (k6's word)
    const rawSteps = Array.isArray(raw.stages) ? raw.stages : [];
    if (rawSteps.length === 0)
      problems.add(['executor'], 'ramping-peers needs stages: [ { duration: 10s, target: 20 }, ... ]');
    const steps: RampStep[] = rawSteps.map((step, i) => ({
      durationMs: durationAt(problems, step, 'duration', ['executor', 'stages', i], 0),
      target: step.target ?? 0,
    }));
    const startTarget = raw.startTarget ?? 0;
    const places = slotsPerRoom * rooms;
    for (const [i, step] of steps.entries()) {
      if (step.durationMs <= 0) problems.add(['executor', 'stages', i, 'duration'], 'must be longer than 0');
      if (step.target > places)
        problems.add(
          ['executor', 'stages', i, 'target'],
          `is more subscribers than the topology has places (${rooms} room(s) x ${slotsPerRoom} subscriber(s)): raise rooms or the subscriber groups' counts`,
        );
    }
    if (startTarget > places)
      problems.add(['executor', 'startTarget'], `is more subscribers than the topology has places (${places})`);
    if (slotsPerRoom === 0)
      problems.add(
        ['executor'],
        'ramping-peers ramps subscribers: add a subscriber group (its count is the places per room)',
      );
    return { type: 'ramping-peers', startTarget, steps };
  }
  if (type === 'arrival-rate') {
    if (raw.rate === undefined)
      problems.add(['executor'], 'arrival-rate needs rate: calls started per timeUnit (default 1s)');
    if (raw.callDuration === undefined)
      problems.add(['executor'], 'arrival-rate needs callDuration: how long each call lasts');
    const unitMs = durationAt(problems, raw, 'timeUnit', ['executor'], 1000);
    if (unitMs <= 0) problems.add(['executor', 'timeUnit'], 'must be longer than 0');
    const callDurationMs = durationAt(problems, raw, 'callDuration', ['executor'], 0);
    if (raw.callDuration !== undefined && callDurationMs <= 0)
      problems.add(['executor', 'callDuration'], 'must be longer than 0');
    const maxCalls = raw.maxCalls ?? 100;
    return {
      type: 'arrival-rate',
      ratePerSecond: (raw.rate ?? 1) * (1000 / Math.max(1, unitMs)),
      callDurationMs,
      maxCalls,
    };
  }
  return { type: 'constant-peers' };
}
