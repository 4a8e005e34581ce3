/**
 * The search of `glassbench capacity`, apart from running steps (pure: `measure` runs one). `step` search raises
 * the load by `step` until a step fails; `bisect` doubles it until a step fails, then halves the gap between the
 * last pass and the first failure down to `step`. A step whose load generator saturated measured the harness,
 * not the system: it is neither a pass nor a failure, and the search stops there (the harness limit).
 */

/** What one step's run says about the system at that load. */
export type StepVerdict =
  /** every threshold held, generator not saturated */
  | 'pass'
  /** a threshold failed, generator not saturated: the system's limit */
  | 'fail'
  /** the generator (or the machine) crossed a saturation line, whatever the thresholds said */
  | 'saturated'
  /** the step ended in error or was aborted */
  | 'broken';

export interface SearchOptions {
  start: number;
  step: number;
  max: number;
  search: 'step' | 'bisect';
}

export interface SearchOutcome {
  /** the most calls that met every threshold, unsaturated */
  lastPass: number | null;
  /** the fewest calls that failed a threshold, unsaturated */
  firstFail: number | null;
  /** the load at which the generator saturated: the search stopped there */
  harnessLimit: number | null;
  /** the load of a step that ended in error or was aborted: the search stopped there */
  broken: number | null;
}

export async function searchCapacity(
  o: SearchOptions,
  measure: (calls: number) => Promise<StepVerdict>,
  aborted: () => boolean = () => false,
): Promise<SearchOutcome> {
  const out: SearchOutcome = { lastPass: null, firstFail: null, harnessLimit: null, broken: null };
  /** false when the search must stop here */
  const take = (calls: number, verdict: StepVerdict): boolean => {
    if (verdict === 'broken') out.broken = calls;
    else if (verdict === 'saturated') out.harnessLimit = calls;
    else if (verdict === 'pass') out.lastPass = calls;
    else out.firstFail = calls;
    return verdict === 'pass' || verdict === 'fail';
  };
  // rising: +step (step search) or x2 (bisect) until a step fails or --max has passed
  for (let calls = o.start; !aborted();) {
    if (!take(calls, await measure(calls)) || out.firstFail !== null) break;
    const next = o.search === 'step' ? calls + o.step : Math.min(o.max, calls * 2);
    if (next > o.max || next === calls) break;
    calls = next;
  }
  if (o.search === 'bisect') {
    while (
      out.firstFail !== null &&
      out.harnessLimit === null &&
      out.broken === null &&
      !aborted() &&
      out.firstFail - (out.lastPass ?? 0) > o.step
    ) {
      const low = out.lastPass ?? 0;
      const mid = low + Math.max(o.step, Math.floor((out.firstFail - low) / 2 / o.step) * o.step);
      if (mid >= out.firstFail) break;
      if (!take(mid, await measure(mid))) break;
    }
  }
  return out;
}

/**
 * The knee: the largest passing load below the first failure. With no valid failure but a harness limit there
 * is no knee (the search never reached the system's limit); a saturated step in the bisection leaves the knee
 * at the last pass below it, as coarse as the search got.
 */
export function kneeOf(outcome: SearchOutcome): number | null {
  if (outcome.harnessLimit !== null && outcome.firstFail === null) return null;
  return outcome.lastPass;
}
