/**
 * Metric series: for each metric an unfiltered series plus one per tag filter that a threshold asked for.
 * A sample goes to every series whose filter its tags match.
 */
import type { Aggregation, SeriesValues, ThresholdSpec } from '../budgets/types.js';
import { findMetric, type MetricName, METRICS } from './catalogue.js';
import { Trend, type TrendSummary } from './histogram.js';
import type { Tags } from './types.js';

interface Series {
  filter: Tags;
  trend?: Trend;
  count: number;
  /** Rate metrics: samples that were a yes */
  hits?: number;
}

function matches(filter: Tags, tags: Tags): boolean {
  for (const [key, value] of Object.entries(filter)) if (tags[key] !== value) return false;
  return true;
}

function filterKey(filter: Tags): string {
  return JSON.stringify(Object.entries(filter).sort(([a], [b]) => a.localeCompare(b)));
}

export interface CounterSummary {
  count: number;
  /** per second of the measured window */
  rate: number;
}

/** k6's Rate: `count` samples, `hits` of them a yes, `rate` = hits / count (0..1; null without samples). */
export interface RateSummary {
  count: number;
  hits: number;
  rate: number | null;
}

export class MetricSeries {
  private readonly series = new Map<string, Map<string, Series>>();
  /** measured window for counter rates, ms */
  windowMs = 0;

  constructor(thresholds: readonly ThresholdSpec[] = []) {
    for (const metric of METRICS) this.ensure(metric.name, {});
    for (const spec of thresholds) this.ensure(spec.metric, spec.tags);
  }

  private ensure(metric: string, filter: Tags): Series {
    let byFilter = this.series.get(metric);
    if (!byFilter) {
      byFilter = new Map();
      this.series.set(metric, byFilter);
    }
    const key = filterKey(filter);
    let series = byFilter.get(key);
    if (!series) {
      series = { filter, count: 0 };
      const kind = findMetric(metric)?.kind;
      if (kind === 'trend') series.trend = new Trend();
      if (kind === 'rate') series.hits = 0;
      byFilter.set(key, series);
    }
    return series;
  }

  /** A trend sample (latencies, fps, cpu). */
  record(metric: MetricName, value: number, tags: Tags): void {
    for (const series of this.series.get(metric)?.values() ?? []) {
      if (matches(series.filter, tags)) {
        series.count += 1;
        series.trend?.record(value);
      }
    }
  }

  /** A counter increment. */
  add(metric: MetricName, tags: Tags, by = 1): void {
    for (const series of this.series.get(metric)?.values() ?? []) {
      if (matches(series.filter, tags)) series.count += by;
    }
  }

  /** A Rate sample (k6): `hit` is the yes or no of one event, e.g. one expected frame at one receiver lost or not. */
  rate(metric: MetricName, hit: boolean, tags: Tags): void {
    for (const series of this.series.get(metric)?.values() ?? []) {
      if (matches(series.filter, tags)) {
        series.count += 1;
        if (hit && series.hits !== undefined) series.hits += 1;
      }
    }
  }

  trend(metric: MetricName, filter: Tags = {}): Trend | undefined {
    return this.series.get(metric)?.get(filterKey(filter))?.trend;
  }

  /** A threshold's series: `metric` is user input, checked against the catalogue where the threshold was parsed. */
  values(metric: string, filter: Tags): SeriesValues {
    const series = this.ensure(metric, filter);
    const windowS = this.windowMs / 1000;
    return {
      value: (aggregation: Aggregation): number | null => {
        const trend = series.trend;
        switch (aggregation.kind) {
          case 'count':
            return series.count;
          case 'rate':
            // a Rate metric's rate is its fraction of yeses; a counter's is per second of the measured window
            if (series.hits !== undefined) return series.count > 0 ? series.hits / series.count : null;
            return windowS > 0 ? series.count / windowS : null;
          case 'avg':
            return trend?.mean ?? null;
          case 'min':
            return trend?.min ?? null;
          case 'max':
            return trend?.max ?? null;
          case 'med':
            return trend?.percentile(50) ?? null;
          case 'percentile':
            return trend?.percentile(aggregation.percentile) ?? null;
        }
      },
    };
  }

  /** Unfiltered summary of every metric: trends with samples, and every counter. */
  summaries(): Record<string, TrendSummary | CounterSummary | RateSummary> {
    const out: Record<string, TrendSummary | CounterSummary | RateSummary> = {};
    for (const metric of METRICS) {
      const summary = this.summaryOf(metric.name, {});
      if (summary) out[metric.name] = summary;
    }
    return out;
  }

  /**
   * One (metric, tag filter) series' summary, as `summaries()` gives the unfiltered ones (a tagged threshold's
   * series is what k6 calls a sub-metric); undefined for a trend without samples or a series never made.
   */
  summaryOf(metric: string, filter: Tags): TrendSummary | CounterSummary | RateSummary | undefined {
    const series = this.series.get(metric)?.get(filterKey(filter));
    const kind = findMetric(metric)?.kind;
    if (!series || !kind) return undefined;
    if (kind === 'trend') return series.trend?.summary() ?? undefined;
    if (kind === 'rate') {
      const hits = series.hits ?? 0;
      return {
        count: series.count,
        hits,
        rate: series.count > 0 ? Math.round((hits / series.count) * 1e6) / 1e6 : null,
      };
    }
    return {
      count: series.count,
      rate: this.windowMs > 0 ? Math.round((series.count / (this.windowMs / 1000)) * 1000) / 1000 : 0,
    };
  }
}
