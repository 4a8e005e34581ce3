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
 * A signed trend (`av_sync_ms`: audio early or late) keeps its negative samples' magnitudes in a second histogram;
 * a percentile whose rank falls among them is read from that one, from the other end.
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
  /** the HDR histogram, compressed and base64-encoded */
  histogram: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** a signed trend's negative samples: their magnitudes' histogram and how many */
  negative?: { histogram: string; count: number };
}

function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000 * SCALE,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Values are scaled by this before recording, so sub-millisecond detail survives integer buckets. */
const SCALE = 1000;

export class Trend {
  private readonly histogram: Histogram = newHistogram();
  /** signed trends: magnitudes of the negative samples */
  private negative: { histogram: Histogram; count: number } | undefined;
  private countValue = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  /** `signed`: negative samples are kept as such (else they are clock noise, recorded as 0 in the histogram). */
  constructor(private readonly signed = false) {}

  /** Records one sample. */
  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.countValue += 1;
    this.sum += value;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    if (this.signed && value < 0) {
      this.negative ??= { histogram: newHistogram(), count: 0 };
      this.negative.histogram.recordValue(Math.round(-value * SCALE));
      this.negative.count += 1;
      return;
    }
    this.histogram.recordValue(Math.max(0, Math.round(value * SCALE)));
  }

  /** The distribution as plain data, for another process. */
  state(): TrendState {
    return {
      histogram: encodeIntoCompressedBase64(this.histogram),
      count: this.countValue,
      sum: this.sum,
      min: this.minValue,
      max: this.maxValue,
      ...(this.negative
        ? { negative: { histogram: encodeIntoCompressedBase64(this.negative.histogram), count: this.negative.count } }
        : {}),
    };
  }

  /** Adds another Trend's samples (its `state()`), as if they had been recorded here. */
  merge(state: TrendState): void {
    if (state.count === 0) return;
    const other = decodeFromCompressedBase64(state.histogram, 32, false);
    this.histogram.add(other);
    other.destroy();
    if (state.negative && state.negative.count > 0) {
      const negative = decodeFromCompressedBase64(state.negative.histogram, 32, false);
      this.negative ??= { histogram: newHistogram(), count: 0 };
      this.negative.histogram.add(negative);
      this.negative.count += state.negative.count;
      negative.destroy();
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
    return Math.min(this.maxValue, Math.max(this.minValue, this.unclamped(p)));
  }

  private unclamped(p: number): number {
    const negatives = this.negative?.count ?? 0;
    if (!this.negative || negatives === 0) return this.histogram.getValueAtPercentile(p) / SCALE;
    const rank = Math.max(1, Math.ceil((p / 100) * this.countValue));
    // the rank-th smallest sample is a negative one: the (negatives - rank + 1)-th largest magnitude
    if (rank <= negatives)
      return -this.negative.histogram.getValueAtPercentile(((negatives - rank + 1) / negatives) * 100) / SCALE;
    const positives = this.countValue - negatives;
    return this.histogram.getValueAtPercentile(((rank - negatives) / positives) * 100) / SCALE;
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
