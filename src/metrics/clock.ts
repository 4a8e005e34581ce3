/**
 * The only time source of glassbench (docs/architecture.md): wall-clock milliseconds with sub-millisecond
 * precision, `performance.timeOrigin + performance.now()`. Processes on one host share this clock, so
 * timestamps taken by the SFU, the peer runners and the harness can be subtracted directly.
 */
import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;

/** Wall-clock time in milliseconds since the Unix epoch, fractional. */
export function nowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- this module is the clock
  return origin + performance.now();
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
