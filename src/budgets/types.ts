/** Thresholds in k6's grammar: `p(95)<400`, `avg<=20`, `rate<0.01`, `count==0`, on metrics with tag filters. */
export type Aggregation =
  { kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' } | { kind: 'percentile'; percentile: number };

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdExpression {
  /** the text as written, e.g. `p(95)<400` */
  source: string;
  aggregation: Aggregation;
  operator: Operator;
  value: number;
}

export interface ThresholdSpec {
  /** the key as written, e.g. `frame_latency_ms{room:r1}` */
  key: string;
  metric: string;
  /** tag filters; a sample counts when every filter matches its tags */
  tags: Record<string, string>;
  expression: ThresholdExpression;
  /** stop the run as soon as this threshold fails (k6's abortOnFail) */
  abortOnFail: boolean;
  /** do not evaluate for abortOnFail before this much of the run, ms */
  delayAbortEvalMs: number;
}

export interface ThresholdResult {
  expr: string;
  ok: boolean;
  /** the measured value the expression was checked against; null when the metric has no samples */
  actual: number | null;
  tags?: Record<string, string>;
  abortOnFail?: boolean;
}

/** Reads aggregated values of one (metric, tag filter) series. */
export interface SeriesValues {
  value(aggregation: Aggregation): number | null;
}
