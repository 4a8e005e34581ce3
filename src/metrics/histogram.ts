/**
 * Latency distribution of one series: an HDR histogram (3 significant digits) of values in microseconds,
 * plus exact count, min, max and sum. Summaries are in the metric's own unit (ms for latencies).
 *
 * Percentiles are nearest rank, the one definition of glassbench (docs/outputs.md, Percentiles; exact
 * samples use compare/stats.ts `quantile`): the histogram finds the bucket holding the sample at rank
 * ceil(p/100 * count) and reports that bucket's upper end, at most 0.1% above the exact sample (3
 * significant digits: 1024 to 2048 sub-buckets per power of two), clamped to the exact min and max. A
 * summary streams (it never holds the samples), which is why it is not the exact sample.
 *
 * Signed values (av_sync_ms: audio early is negative; a cross-host stage read through a clock offset) keep their
 * sign: a negative sample goes to a second histogram of magnitudes, and a rank below the count of negatives is read
 * from it, so a percentile is as exact on either side of zero.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export interface TrendSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** A whole distribution as plain data (another process's Trend adds it with `merge`). */
export interface TrendState {
  /** the HDR histogram of the samples >= 0, compressed and base64-encoded */
  histogram: string;
  /** the magnitudes of the samples < 0 and their count, when there were any */
  negative?: { histogram: string; count: number };
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Values are scaled by this before recording, so sub-millisecond detail survives integer buckets. */
const SCALE = 1000;

function histogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000 * SCALE,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

export class Trend {
  private readonly histogram: Histogram = histogram();
  /** magnitudes of the negative samples, made at the first one */
  private negative: Histogram | undefined;
  private negativeCount = 0;
  private countValue = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  /** Records one sample (a negative one keeps its sign, see above). */
  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.countValue += 1;
    this.sum += value;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    const scaled = Math.round(value * SCALE);
    if (scaled >= 0) {
      this.histogram.recordValue(scaled);
      return;
    }
    this.negative ??= histogram();
    this.negative.recordValue(-scaled);
    this.negativeCount += 1;
  }

  /** The distribution as plain data, for another process. */
  state(): TrendState {
    const state: TrendState = {
      histogram: encodeIntoCompressedBase64(this.histogram),
      count: this.countValue,
      sum: this.sum,
      min: this.minValue,
      max: this.maxValue,
    };
    if (this.negative)
      state.negative = { histogram: encodeIntoCompressedBase64(this.negative), count: this.negativeCount };
    return state;
  }

  /** Adds another Trend's samples (its `state()`), as if they had been recorded here. */
  merge(state: TrendState): void {
    if (state.count === 0) return;
    const other = decodeFromCompressedBase64(state.histogram, 32, false);
    this.histogram.add(other);
    other.destroy();
    if (state.negative && state.negative.count > 0) {
      const negative = decodeFromCompressedBase64(state.negative.histogram, 32, false);
      this.negative ??= histogram();
      this.negative.add(negative);
      negative.destroy();
      this.negativeCount += state.negative.count;
    }
    this.countValue += state.count;
    this.sum += state.sum;
    this.minValue = Math.min(this.minValue, state.min);
    this.maxValue = Math.max(this.maxValue, state.max);
  }

  get count(): number {
    return this.countValue;
  }

  get mean(): number | null {
    return this.countValue === 0 ? null : this.sum / this.countValue;
  }

  get min(): number | null {
    return this.countValue === 0 ? null : this.minValue;
  }

  get max(): number | null {
    return this.countValue === 0 ? null : this.maxValue;
  }

  /** Value at percentile p (0-100] by nearest rank (within 0.1%, see above), or null with no samples. */
  percentile(p: number): number | null {
    if (this.countValue === 0) return null;
    if (p >= 100) return this.maxValue;
    const rank = Math.max(1, Math.ceil((p / 100) * this.countValue));
    let value: number;
    if (this.negative && rank <= this.negativeCount) {
      // ascending values are descending magnitudes: rank r is the (n - r + 1)-th smallest magnitude
      const fromSmallest = this.negativeCount - rank + 1;
      value = -this.negative.getValueAtPercentile((fromSmallest / this.negativeCount) * 100) / SCALE;
    } else if (this.negativeCount > 0) {
      const positives = this.countValue - this.negativeCount;
      value = this.histogram.getValueAtPercentile(((rank - this.negativeCount) / positives) * 100) / SCALE;
    } else {
      value = this.histogram.getValueAtPercentile(p) / SCALE;
    }
    return Math.min(this.maxValue, Math.max(this.minValue, value));
  }

  summary(): TrendSummary | null {
    if (this.countValue === 0) return null;
    const round = (v: number | null): number => Math.round((v ?? 0) * 1000) / 1000;
    return {
      count: this.countValue,
      min: round(this.min),
      mean: round(this.mean),
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: round(this.max),
    };
  }
}
