/**
 * The clock offset between this host and another (the SFU's, or a time host beside it), from NTP-style
 * exchanges (RFC 5905 section 8, over HTTP `GET /clock`): pure arithmetic, no I/O.
 *
 * Sign: `offsetMs` is THIS host's clock minus the other host's. A time the other host stamped is read in this
 * host's clock as `local = remote + offsetMs`; a shard whose clock is 250 ms ahead of the SFU's has offset +250.
 *
 * Why the bound holds: with the true offset θ (local = remote + θ), an exchange sent at t0 (local) arrives at
 * t1 = t0 + up - θ (remote) and its answer leaves at t2 = t3 - down - θ, with the one-way delays up, down >= 0.
 * So ((t0 - t1) + (t3 - t2)) / 2 = θ + (up - down) / 2, and since up + down is the round trip (t3 - t0) - (t2 -
 * t1), the estimate is off by at most half the round trip, however asymmetric the path. The stamps are read off
 * clocks that step by their resolution, which is added. The exchange with the smallest round trip gives the
 * tightest bound, so a burst is judged by that one.
 */

/** One exchange: t0..t3 in NTP's terms. */
export interface ClockSample {
  /** t0: this host's clock when the request was sent, ms */
  sentMs: number;
  /** t1: the other host's clock when it read the request, ms */
  remoteReceivedMs: number;
  /** t2: the other host's clock when it sent the answer, ms */
  remoteSentMs: number;
  /** t3: this host's clock when the answer was read, ms */
  receivedMs: number;
}

export interface ClockEstimate {
  /** this host's clock minus the other's, ms (local = remote + offsetMs) */
  offsetMs: number;
  /** the true offset lies within offsetMs +/- this, ms: half the chosen exchange's round trip plus resolution */
  uncertaintyMs: number;
  /** the chosen exchange's round trip, less the other host's time holding it, ms */
  rttMs: number;
  /** this host's clock when the chosen exchange ended, ms (an estimate ages from here) */
  atMs: number;
  /** exchanges of the burst that were usable */
  samples: number;
}

/**
 * How fast an estimate ages: two free-running clocks may drift apart by this much per ms elapsed. RFC 5905's
 * PHI (15 ppm), the frequency tolerance NTP itself assumes for the clocks it disciplines.
 */
export const DRIFT_PER_MS = 15e-6;

/** One exchange's offset and round trip; undefined when its stamps cannot be (an answer before its request). */
export function sampleOffset(
  sample: ClockSample,
  resolutionMs: number,
): { offsetMs: number; rttMs: number } | undefined {
  const { sentMs: t0, remoteReceivedMs: t1, remoteSentMs: t2, receivedMs: t3 } = sample;
  const rttMs = t3 - t0 - (t2 - t1);
  // stamps quantised to the resolution can make a very fast exchange look a little negative; worse is a clock step
  if (![t0, t1, t2, t3].every(Number.isFinite) || t2 < t1 || t3 < t0 || rttMs < -2 * resolutionMs) return undefined;
  return { offsetMs: (t0 - t1 + (t3 - t2)) / 2, rttMs: Math.max(0, rttMs) };
}

/** The estimate of one burst of exchanges: the offset of its smallest round trip; undefined if none was usable. */
export function estimateOffset(samples: readonly ClockSample[], resolutionMs: number): ClockEstimate | undefined {
  let best: { offsetMs: number; rttMs: number; atMs: number } | undefined;
  let usable = 0;
  for (const sample of samples) {
    const one = sampleOffset(sample, resolutionMs);
    if (!one) continue;
    usable += 1;
    if (!best || one.rttMs < best.rttMs) best = { ...one, atMs: sample.receivedMs };
  }
  if (!best) return undefined;
  return {
    offsetMs: best.offsetMs,
    uncertaintyMs: best.rttMs / 2 + resolutionMs,
    rttMs: best.rttMs,
    atMs: best.atMs,
    samples: usable,
  };
}

/** An estimate's uncertainty at a later moment: its own plus the drift the clocks may have had since, ms. */
export function agedUncertaintyMs(estimate: ClockEstimate, atMs: number): number {
  return estimate.uncertaintyMs + DRIFT_PER_MS * Math.max(0, atMs - estimate.atMs);
}

/** Of several estimates, the one that bounds the offset tightest at `atMs` (aged); undefined for none. */
export function bestEstimate(estimates: readonly ClockEstimate[], atMs: number): ClockEstimate | undefined {
  let best: ClockEstimate | undefined;
  for (const e of estimates) if (!best || agedUncertaintyMs(e, atMs) < agedUncertaintyMs(best, atMs)) best = e;
  return best;
}

/**
 * The stage metrics whose two ends are stamped on different hosts when the SFU runs elsewhere, so the clock
 * offset's uncertainty is in every value: `uplink_ms` (publisher's send -> SFU's receive), `downlink_ms` (SFU's
 * send -> receiver), `asr_ms` (utterance end at the sender -> transcript at the SFU). `sfu_ms` and the AI hook's
 * stages are both ends on the SFU's clock, `frame_latency_ms` both ends on the shard's (whole rooms per shard).
 */
export const CROSS_HOST_METRICS = ['uplink_ms', 'downlink_ms', 'asr_ms'] as const;

/** A cross-host metric whose clock uncertainty is over `share` of its median. */
export interface UncertainMetric {
  metric: string;
  p50Ms: number;
  /** null: the offset is unknown (no clock endpoint answered) */
  uncertaintyMs: number | null;
}

/**
 * The cross-host metrics whose median the clock uncertainty could move by more than `share` (default 10%): a
 * reader must not trust their differences at that scale. An unknown uncertainty (null) marks every one present.
 */
export function uncertainMetrics(
  medians: Readonly<Record<string, number | null | undefined>>,
  uncertaintyMs: number | null,
  share = 0.1,
): UncertainMetric[] {
  const out: UncertainMetric[] = [];
  for (const metric of CROSS_HOST_METRICS) {
    const p50Ms = medians[metric];
    if (typeof p50Ms !== 'number' || !Number.isFinite(p50Ms)) continue;
    if (uncertaintyMs === null || uncertaintyMs > share * Math.abs(p50Ms)) out.push({ metric, p50Ms, uncertaintyMs });
  }
  return out;
}
