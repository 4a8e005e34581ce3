/** The page's side of the one clock (docs/architecture.md): wall-clock ms, sub-millisecond. */
export function nowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- this module is the page's clock
  return performance.timeOrigin + performance.now();
}

/** A DOMHighResTimeStamp of this page (ms since its time origin) as wall-clock ms. */
export function pageTimeToMs(highResMs: number): number {
  return performance.timeOrigin + highResMs;
}
