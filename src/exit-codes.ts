/**
 * The CLI's exit codes (docs/outputs.md), in one place: what a run's summary exits with and what a thrown
 * error exits with. k6's codes where k6 has one (99 for a failed threshold).
 */
import { GlassbenchError } from './errors.js';
import type { RunSummary } from './report/summary.js';

export const EXIT_CODES = {
  ok: 0,
  thresholdFailed: 99,
  invalidInput: 104,
  aborted: 105,
  runFailed: 107,
} as const;

/** The exit code of a run that ended with this summary. */
export function exitCodeForSummary(summary: RunSummary): number {
  if (summary.status === 'passed') return EXIT_CODES.ok;
  if (summary.status === 'failed') return EXIT_CODES.thresholdFailed;
  if (summary.status === 'aborted') {
    // abortOnFail is a threshold failure (k6 exits 99); Ctrl-C is 105
    return summary.error?.code === 'THRESHOLD_FAILED' ? EXIT_CODES.thresholdFailed : EXIT_CODES.aborted;
  }
  return EXIT_CODES.runFailed;
}

/** The exit code of a command that threw this. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof GlassbenchError) {
    if (error.code === 'INVALID_INPUT') return EXIT_CODES.invalidInput;
    if (error.code === 'ABORTED') return EXIT_CODES.aborted;
  }
  return EXIT_CODES.runFailed;
}
