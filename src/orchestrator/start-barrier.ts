/**
 * `--start-at TIME`: the instant at which every shard of a distributed run starts its measured hold, so the
 * shards' windows overlap and the load they add up to is the load the scenario asks for. Each shard connects
 * and warms up on its own schedule, then waits here until the instant.
 *
 * A shard whose warm-up ends after the instant does not start late: its window would cover a different
 * stretch of time from the other shards', and the merged run would measure less load than planned without
 * saying so. It fails before measuring anything (exit 107), naming how late it was, so the user picks a later
 * instant. The timer's own lateness when waking (a few ms) is recorded in `summary.startAt.lateMs`.
 */
import { GlassbenchError } from '../errors.js';
import { sleep } from '../metrics/clock.js';
import type { StartAtSummary } from '../report/summary.js';

/** A start instant: as the user wrote it, and in ms since the Unix epoch. */
export interface StartAt {
  text: string;
  atMs: number;
}

/** numbers below this (2001-09-09 in ms) are taken for Unix seconds written by mistake */
const MIN_EPOCH_MS = 1e12;
/** an instant further ahead than this is most likely a typo (and a pod waiting a day), ms */
export const MAX_START_AHEAD_MS = 24 * 3600_000;
/** the wait wakes at least this often, so a clock corrected during the wait is followed, ms */
const MAX_SLEEP_MS = 1000;

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

function flagError(text: string, reason: string): GlassbenchError {
  return new GlassbenchError('INVALID_INPUT', `--start-at ${text}: ${reason}`);
}

/** ISO 8601 with a zone to epoch ms, checking every field (Feb 30 is an error, not Mar 2). */
function parseIso(text: string, match: RegExpExecArray): number {
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = match;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  const fractionMs = Number(frac.padEnd(3, '0'));
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, fractionMs));
  const realDate =
    local.getUTCFullYear() === year &&
    local.getUTCMonth() === month - 1 &&
    local.getUTCDate() === day &&
    local.getUTCHours() === hour &&
    local.getUTCMinutes() === minute &&
    local.getUTCSeconds() === second;
  if (!realDate) throw flagError(text, 'not a real date and time');
  if (zone === 'Z') return local.getTime();
  const sign = zone.startsWith('-') ? -1 : 1;
  const [zh, zm] = zone.slice(1).split(':').map(Number) as [number, number];
  if (zh > 23 || zm > 59) throw flagError(text, `zone ${zone} is not an offset of at most 23:59`);
  return local.getTime() - sign * (zh * 60 + zm) * 60_000;
}

/**
 * Reads `--start-at`: ISO 8601 with a zone (`2026-12-01T14:00:00Z`, `...+01:00`) or Unix epoch milliseconds.
 * The instant must lie ahead of `nowMs`, by at most MAX_START_AHEAD_MS.
 */
export function parseStartAt(text: string, nowMs: number): StartAt {
  const trimmed = text.trim();
  let atMs: number;
  const iso = ISO_WITH_ZONE.exec(trimmed);
  if (iso) atMs = parseIso(text, iso);
  else if (/^\d{1,16}$/.test(trimmed)) {
    atMs = Number(trimmed);
    if (atMs < MIN_EPOCH_MS)
      throw flagError(text, `looks like Unix seconds (${new Date(atMs * 1000).toISOString()}); give milliseconds`);
  } else if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(trimmed))
    throw flagError(text, 'the time needs a zone (Z or +hh:mm): every shard must read the same instant');
  else throw flagError(text, 'expected ISO 8601 with a zone (2026-12-01T14:00:00Z) or Unix epoch milliseconds');
  const aheadMs = atMs - nowMs;
  if (aheadMs <= 0)
    throw flagError(
      text,
      `${new Date(atMs).toISOString()} is ${(-aheadMs / 1000).toFixed(1)} s past; give a later one`,
    );
  if (aheadMs > MAX_START_AHEAD_MS)
    throw flagError(
      text,
      `${new Date(atMs).toISOString()} is more than 24 h ahead (${Math.round(aheadMs / 3600_000)} h)`,
    );
  return { text, atMs };
}

export interface WaitForStartOptions {
  /** the clock the instant is read on (ms since the epoch); the run passes its one barrier clock */
  nowMs: () => number;
  /** aborting it (Ctrl-C) ends the wait: the returned promise rejects with the signal's reason */
  signal?: AbortSignal;
  /** how to wait; default the clock module's sleep (a test passes one that moves a fake clock) */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Waits until `start.atMs` on `options.nowMs`, in steps of at most MAX_SLEEP_MS. Returns what happened: waited
 * (the hold may start; `lateMs` is how late the wake-up was) or missed (the instant had already passed).
 */
export async function waitForStart(start: StartAt, options: WaitForStartOptions): Promise<StartAtSummary> {
  const wait = options.sleep ?? sleep;
  const firstMs = options.nowMs();
  const record = (missed: boolean, now: number): StartAtSummary => ({
    requested: start.text,
    atIso: new Date(start.atMs).toISOString(),
    atMs: start.atMs,
    waitedMs: round2(Math.max(0, now - firstMs)),
    lateMs: round2(Math.max(0, now - start.atMs)),
    missed,
  });
  if (firstMs >= start.atMs) return record(true, firstMs);
  for (;;) {
    const remainingMs = start.atMs - options.nowMs();
    if (remainingMs <= 0) return record(false, options.nowMs());
    await wait(Math.min(remainingMs, MAX_SLEEP_MS), options.signal);
  }
}

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The error of a shard whose warm-up ended after the start instant. */
export function missedStartError(start: StartAtSummary): GlassbenchError {
  return new GlassbenchError(
    'RUN_FAILED',
    `--start-at ${start.requested}: the warm-up ended ${(start.lateMs / 1000).toFixed(1)} s after ${start.atIso}; nothing was measured (a late shard would measure a different window from the others). Give a later instant`,
  );
}
