/**
 * The change-point check of `compare` over a run history: is the candidate's median a step away from what the
 * scenario's previous runs measured? The history's median and its spread (MAD, scaled to a standard
 * deviation) set the band; a candidate outside median +/- max(3 spreads, the tolerance) is a step change.
 * Robust statistics, so one odd run in the history does not widen the band for all.
 */
import type { Tolerance } from './compare.js';
import { quantile, sortedCopy } from './stats.js';

export interface ChangePoint {
  metric: string;
  runs: number;
  historyMedian: number;
  /** half-width of the band, in the metric's unit */
  band: number;
  candidate: number;
  step: boolean;
}

/** needs at least this many earlier runs to say anything */
export const MIN_HISTORY = 3;

export function changePoint(
  metric: string,
  history: number[],
  candidate: number,
  tolerance: Tolerance,
): ChangePoint | undefined {
  if (history.length < MIN_HISTORY) return undefined;
  const sorted = sortedCopy(history);
  const median = quantile(sorted, 0.5);
  const mad = quantile(sortedCopy(history.map((v) => Math.abs(v - median))), 0.5) * 1.4826;
  const band = Math.max(3 * mad, (Math.abs(median) * tolerance.pct) / 100, tolerance.abs);
  return {
    metric,
    runs: history.length,
    historyMedian: median,
    band,
    candidate,
    step: Math.abs(candidate - median) > band,
  };
}
