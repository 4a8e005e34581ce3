/**
 * The clock-offset estimator: for any true offset and any one-way delays (however asymmetric), the true offset
 * lies within the stated uncertainty of the estimate; the burst's smallest round trip is the one used; the sign
 * is this host minus the other; a cross-host metric is marked when the uncertainty is over 10% of its median.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  agedUncertaintyMs,
  bestEstimate,
  type ClockSample,
  DRIFT_PER_MS,
  estimateOffset,
  sampleOffset,
  uncertainMetrics,
} from '../../../src/metrics/clock-offset.js';

/** A stamp read off a clock that steps by `resolutionMs` (it shows the last step passed). */
const quantise = (ms: number, resolutionMs: number): number => Math.floor(ms / resolutionMs) * resolutionMs;

/**
 * One exchange as it happens: sent at `atMs` of this host's clock (the reference here), `upMs` to the other host,
 * held there `holdMs`, `downMs` back; the other host's clock reads this host's minus the true offset.
 */
function exchange(
  trueOffsetMs: number,
  atMs: number,
  upMs: number,
  holdMs: number,
  downMs: number,
  resolutionMs: number,
): ClockSample {
  const remote = (localMs: number): number => quantise(localMs - trueOffsetMs, resolutionMs);
  return {
    sentMs: quantise(atMs, resolutionMs),
    remoteReceivedMs: remote(atMs + upMs),
    remoteSentMs: remote(atMs + upMs + holdMs),
    receivedMs: quantise(atMs + upMs + holdMs + downMs, resolutionMs),
  };
}

describe('clock offset estimate', () => {
  it('a host 250 ms ahead of the server has offset +250, within the stated uncertainty, with asymmetric delays', () => {
    const samples = [
      exchange(250, 1_000_000, 3, 0.2, 0.5, 0.001),
      exchange(250, 1_000_010, 0.4, 0.1, 2.6, 0.001),
      exchange(250, 1_000_020, 1.2, 0.1, 0.3, 0.001),
    ];
    const estimate = estimateOffset(samples, 0.001);
    expect(estimate).toBeDefined();
    if (!estimate) return;
    expect(Math.abs(estimate.offsetMs - 250)).toBeLessThanOrEqual(estimate.uncertaintyMs);
    // the third exchange has the smallest round trip (1.5 ms): uncertainty is half of it plus the resolution
    expect(estimate.rttMs).toBeCloseTo(1.5, 2);
    expect(estimate.uncertaintyMs).toBeCloseTo(0.751, 2);
    expect(estimate.samples).toBe(3);
  });

  it('holds the bound for any offset, delays, server hold time and resolution (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.array(
          fc.record({
            upMs: fc.double({ min: 0, max: 500, noNaN: true }),
            holdMs: fc.double({ min: 0, max: 50, noNaN: true }),
            downMs: fc.double({ min: 0, max: 500, noNaN: true }),
          }),
          { minLength: 1, maxLength: 16 },
        ),
        fc.constantFrom(0.000_1, 0.001, 0.1, 1),
        (trueOffsetMs, delays, resolutionMs) => {
          const samples = delays.map((d, i) =>
            exchange(trueOffsetMs, 2e6 + i * 1000, d.upMs, d.holdMs, d.downMs, resolutionMs),
          );
          const estimate = estimateOffset(samples, resolutionMs);
          if (!estimate) return false;
          // times near 2e6 ms, so doubles quantise exactly enough to model the clocks' steps; 1e-6 ms of slack
          return Math.abs(estimate.offsetMs - trueOffsetMs) <= estimate.uncertaintyMs + 1e-6;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses an exchange whose answer precedes its request, and a burst of only those', () => {
    const bad: ClockSample = { sentMs: 100, remoteReceivedMs: 50, remoteSentMs: 40, receivedMs: 101 };
    expect(sampleOffset(bad, 0.001)).toBeUndefined();
    expect(sampleOffset({ sentMs: 100, remoteReceivedMs: 5, remoteSentMs: 6, receivedMs: 90 }, 0.001)).toBeUndefined();
    expect(estimateOffset([bad], 0.001)).toBeUndefined();
    expect(estimateOffset([], 0.001)).toBeUndefined();
  });

  it('ages an estimate by the drift bound, and picks the estimate tightest now', () => {
    const old = { offsetMs: 10, uncertaintyMs: 0.2, rttMs: 0.4, atMs: 0, samples: 12 };
    const fresh = { offsetMs: 10.1, uncertaintyMs: 0.5, rttMs: 1, atMs: 60_000, samples: 4 };
    expect(agedUncertaintyMs(old, 10_000)).toBeCloseTo(0.2 + DRIFT_PER_MS * 10_000, 9);
    // at 10 s the old one is still tighter (0.35 ms); at 60 s it has aged to 1.1 ms and the fresh one wins
    expect(bestEstimate([old, fresh], 10_000)).toBe(old);
    expect(bestEstimate([old, fresh], 60_000)).toBe(fresh);
    expect(bestEstimate([], 0)).toBeUndefined();
  });

  it('marks a cross-host metric whose uncertainty is over 10% of its median, and every one when it is unknown', () => {
    const medians = { uplink_ms: 2, downlink_ms: 20, sfu_ms: 0.1, frame_latency_ms: 1, asr_ms: null };
    expect(uncertainMetrics(medians, 0.5)).toEqual([{ metric: 'uplink_ms', p50Ms: 2, uncertaintyMs: 0.5 }]);
    expect(uncertainMetrics(medians, 0.1)).toEqual([]);
    expect(uncertainMetrics(medians, null).map((m) => m.metric)).toEqual(['uplink_ms', 'downlink_ms']);
  });
});
