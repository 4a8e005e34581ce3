/**
 * Metric series: for each metric an unfiltered series plus one per tag filter that a threshold asked for.
 * A sample goes to every series whose filter its tags match.
 */
import type { Aggregation, SeriesValues, ThresholdSpec } from '../budgets/types.js';
import { findMetric, METRICS } from './catalogue.js';
import { Trend, type TrendSummary } from './histogram.js';
import type { Tags } from './types.js';

interface Series {
  filter: Tags;
  trend?: Trend;
  count: number;
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
      if (findMetric(metric)?.kind === 'trend') series.trend = new Trend();
      byFilter.set(key, series);
    }
    return series;
  }

  /** A trend sample (latencies, fps, cpu). */
  record(metric: string, value: number, tags: Tags): void {
    for (const series of this.series.get(metric)?.values() ?? []) {
      if (matches(series.filter, tags)) {
        series.count += 1;
        series.trend?.record(value);
      }
    }
  }

  /** A counter increment. */
  add(metric: string, tags: Tags, by = 1): void {
    for (const series of this.series.get(metric)?.values() ?? []) {
      if (matches(series.filter, tags)) series.count += by;
    }
  }

  trend(metric: string, filter: Tags = {}): Trend | undefined {
    return this.series.get(metric)?.get(filterKey(filter))?.trend;
  }

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
  summaries(): Record<string, TrendSummary | CounterSummary> {
    const out: Record<string, TrendSummary | CounterSummary> = {};
    for (const metric of METRICS) {
      const series = this.series.get(metric.name)?.get(filterKey({}));
      if (!series) continue;
      if (metric.kind === 'trend') {
        const summary = series.trend?.summary();
        if (summary) out[metric.name] = summary;
      } else {
        out[metric.name] = { count: series.count, rate: this.windowMs > 0 ? Math.round((series.count / (this.windowMs / 1000)) * 1000) / 1000 : 0 };
      }
    }
    return out;
  }
}
