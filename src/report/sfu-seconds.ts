/** The reference SFU's seconds (summary.sfu.seconds) as the report draws them. */
import type { RunSummary } from './summary.js';

/**
 * The SFU's event-loop delay over the run: its seconds, or with workers the worst worker's each second (the HTTP
 * front reads no media, so its delay keeps no datagram waiting).
 */
export function sfuLoopDelayPoints(
  seconds: NonNullable<NonNullable<RunSummary['sfu']>['seconds']>,
): [number, number][] {
  if (!seconds.some((s) => s.worker !== undefined))
    return seconds.map((s): [number, number] => [(s.tMs - 1000) / 1000, s.loopDelayP99Ms]);
  const worst = new Map<number, number>();
  for (const s of seconds) {
    if (s.worker === undefined) continue;
    const at = Math.round((s.tMs - 1000) / 1000);
    worst.set(at, Math.max(worst.get(at) ?? 0, s.loopDelayP99Ms));
  }
  return [...worst].sort((a, b) => a[0] - b[0]);
}
