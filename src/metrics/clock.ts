/**
 * The only time source of glassbench (docs/architecture.md): wall-clock milliseconds with sub-millisecond
 * precision, `performance.timeOrigin + performance.now()`. Processes on one host share this clock, so
 * timestamps taken by the SFU, the peer runners and the harness can be subtracted directly; across hosts the
 * harness estimates the offset (src/orchestrator/clock-sync.ts).
 */
import { performance } from 'node:perf_hooks';

/** The environment variable of the test aid below. */
export const CLOCK_SKEW_ENV = 'GLASSBENCH_TEST_CLOCK_SKEW_MS';

/**
 * A TEST AID, not a setting: `GLASSBENCH_TEST_CLOCK_SKEW_MS=250` makes this process (and the children that
 * inherit its environment, and the browser pages its runners open) read a clock 250 ms ahead, faking a host
 * whose clock is off. The real wall clock cannot be skewed per process or per network namespace (Linux time
 * namespaces move only the monotonic and boot clocks), so this is how the clock-offset estimation is tested.
 */
function readSkewMs(): number {
  const raw = process.env[CLOCK_SKEW_ENV];
  if (raw === undefined || raw.trim() === '') return 0;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || Math.abs(ms) > 86_400_000)
    throw new Error(`${CLOCK_SKEW_ENV}: must be a number of ms within a day, got ${JSON.stringify(raw)}`);
  return ms;
}

const skewMs = readSkewMs();
const origin = performance.timeOrigin + skewMs;

/** The injected test skew of this process's clock, ms (0 unless GLASSBENCH_TEST_CLOCK_SKEW_MS is set). */
export function clockSkewMs(): number {
  return skewMs;
}

/** Wall-clock time in milliseconds since the Unix epoch, fractional. */
export function nowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- this module is the clock
  return origin + performance.now();
}

/**
 * The smallest step this clock shows, ms: the least non-zero difference of consecutive reads (a few tries).
 * Part of every offset's uncertainty (a stamp can be up to one step early).
 */
export function clockResolutionMs(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const first = nowMs();
    let next = nowMs();
    for (let spins = 0; next === first && spins < 100_000; spins += 1) next = nowMs();
    if (next > first) best = Math.min(best, next - first);
  }
  // a clock that did not move in 100k reads is coarser than we can tell: take 1 ms, as a coarse timer would be
  return Number.isFinite(best) ? best : 1;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Wall-clock milliseconds to a 64-bit NTP timestamp (32.32 fixed point), as carried by abs-capture-time. */
export function msToNtp(ms: number): bigint {
  const seconds = ms / 1000 + NTP_UNIX_OFFSET_S;
  const whole = Math.floor(seconds);
  const fraction = Math.floor((seconds - whole) * 2 ** 32);
  return (BigInt(whole) << 32n) | BigInt(fraction);
}

/** A 64-bit NTP timestamp back to wall-clock milliseconds. */
export function ntpToMs(ntp: bigint): number {
  const whole = Number(ntp >> 32n);
  const fraction = Number(ntp & 0xffff_ffffn) / 2 ** 32;
  return (whole - NTP_UNIX_OFFSET_S + fraction) * 1000;
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
