/**
 * Metrics of several summaries put together: a variant's rounds (one after another) and a sharded run's
 * shards (side by side). Counters and Rates add up exactly. Trends should be summarised again from their
 * samples wherever the samples exist (frames, WebRTC stats, speech); `mergeTrendSummaries` is for the
 * trends whose samples were never stored (CPU, event-loop delay, fps per subscription), and it says what
 * it cannot know: percentiles of a union cannot be computed from the parts' percentiles.
 */
import type { TrendSummary } from '../metrics/histogram.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';

export type MetricSummary = TrendSummary | CounterSummary | RateSummary;

export function isTrendSummary(value: MetricSummary): value is TrendSummary {
  return 'p50' in value;
}

export function isRateSummary(value: MetricSummary): value is RateSummary {
  return 'hits' in value;
}

export function isCounterSummary(value: MetricSummary): value is CounterSummary {
  return !isTrendSummary(value) && !isRateSummary(value);
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** k6 Rate summed: samples and yeses add up, the fraction is computed again (to 1e-6, as the summary does). */
export function sumRates(parts: RateSummary[]): RateSummary {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const hits = parts.reduce((n, p) => n + p.hits, 0);
  return { count, hits, rate: count > 0 ? round(hits / count, 6) : null };
}

/**
 * Counters summed. `windowS` is the time the parts' counts accumulated over together: for rounds run one
 * after another, the sum of their measured windows (the rate is count / windowS); for shards side by side,
 * leave it out and the per-second rates add up too.
 */
export function sumCounters(parts: CounterSummary[], windowS?: number): CounterSummary {
  const count = parts.reduce((n, p) => n + p.count, 0);
  if (windowS !== undefined) return { count, rate: windowS > 0 ? round(count / windowS, 3) : 0 };
  return {
    count,
    rate: round(
      parts.reduce((r, p) => r + p.rate, 0),
      3,
    ),
  };
}

/**
 * Trend summaries of disjoint sample sets, merged without their samples: count summed, mean count-weighted
 * (exact), min of the mins and max of the maxes (exact). A percentile of the union is not determined by the
 * parts' percentiles; it lies between the smallest and the largest of them (each part has at least p% of its
 * samples at or below its own), so the merged p50..p99 are the largest part's: an upper bound, which
 * `bounded` says (one part with samples: exact).
 */
export function mergeTrendSummaries(parts: TrendSummary[]): { summary: TrendSummary; bounded: boolean } | undefined {
  const withSamples = parts.filter((p) => p.count > 0);
  const [only] = withSamples;
  if (!only) return undefined;
  if (withSamples.length === 1) return { summary: { ...only }, bounded: false };
  const count = withSamples.reduce((n, p) => n + p.count, 0);
  const max = (key: keyof TrendSummary): number => Math.max(...withSamples.map((p) => p[key]));
  return {
    summary: {
      count,
      min: Math.min(...withSamples.map((p) => p.min)),
      mean: round(withSamples.reduce((s, p) => s + p.mean * p.count, 0) / count, 3),
      p50: max('p50'),
      p90: max('p90'),
      p95: max('p95'),
      p99: max('p99'),
      max: max('max'),
    },
    bounded: true,
  };
}
