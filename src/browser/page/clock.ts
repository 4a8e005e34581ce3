/**
 * The page's side of the one clock (docs/architecture.md): wall-clock ms, sub-millisecond. The runner sets
 * `globalThis.glassbenchClockSkewMs` before the bundle loads when its process has the test aid
 * GLASSBENCH_TEST_CLOCK_SKEW_MS (src/metrics/clock.ts), so every clock of a shard is skewed alike.
 */
declare global {
  var glassbenchClockSkewMs: number | undefined;
}

function skewMs(): number {
  const ms = globalThis.glassbenchClockSkewMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : 0;
}

export function nowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- this module is the page's clock
  return performance.timeOrigin + skewMs() + performance.now();
}

/** A DOMHighResTimeStamp of this page (ms since its time origin) as wall-clock ms. */
export function pageTimeToMs(highResMs: number): number {
  return performance.timeOrigin + skewMs() + highResMs;
}
