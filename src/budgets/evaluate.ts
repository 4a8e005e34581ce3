import type { Operator, SeriesValues, ThresholdResult, ThresholdSpec } from './types.js';

export function compare(actual: number, operator: Operator, expected: number): boolean {
  switch (operator) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}

/**
 * Evaluates one threshold. A metric with no samples fails its threshold: a budget nobody measured is not
 * met (k6 passes it silently, which hides broken measurement).
 */
export function evaluateThreshold(spec: ThresholdSpec, series: SeriesValues): ThresholdResult {
  const actual = series.value(spec.expression.aggregation);
  const ok = actual !== null && compare(actual, spec.expression.operator, spec.expression.value);
  const result: ThresholdResult = { expr: spec.expression.source, ok, actual };
  if (Object.keys(spec.tags).length > 0) result.tags = spec.tags;
  if (spec.abortOnFail) result.abortOnFail = true;
  return result;
}
