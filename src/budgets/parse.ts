import { findMetric } from '../metrics/catalogue.js';
import type { Aggregation, Operator, ThresholdExpression } from './types.js';

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;
const KEY = /^([a-z_][a-z0-9_]*)(?:\{([^}]*)\})?$/;

/** A parse problem; the caller adds the location. */
export class ThresholdSyntaxError extends Error {}

export function parseThresholdExpression(source: string): ThresholdExpression {
  const match = EXPRESSION.exec(source);
  if (!match) {
    throw new ThresholdSyntaxError(
      `"${source}" is not a threshold; expected AGG OP NUMBER with AGG one of avg, min, max, med, count, rate, p(N) and OP one of < <= > >= == !=`,
    );
  }
  const [, aggText, percentileText, operator, valueText] = match as unknown as [
    string,
    string,
    string | undefined,
    Operator,
    string,
  ];
  let aggregation: Aggregation;
  if (percentileText !== undefined) {
    const percentile = Number(percentileText);
    if (!(percentile > 0 && percentile <= 100)) {
      throw new ThresholdSyntaxError(`percentile in "${source}" must be in (0, 100], got ${percentileText}`);
    }
    aggregation = { kind: 'percentile', percentile };
  } else {
    aggregation = { kind: aggText.toLowerCase() as 'avg' };
  }
  return { source: source.trim(), aggregation, operator, value: Number(valueText) };
}

export interface ParsedKey {
  metric: string;
  tags: Record<string, string>;
}

/** `frame_latency_ms{room:r1,peer_kind:synthetic}` -> metric and tag filters. */
export function parseThresholdKey(key: string): ParsedKey {
  const match = KEY.exec(key.trim());
  if (!match) throw new ThresholdSyntaxError(`"${key}" is not a metric name with optional {tag:value,...} filters`);
  const metric = match[1] as string;
  const tags: Record<string, string> = {};
  const filterText = match[2];
  if (filterText !== undefined) {
    for (const part of filterText.split(',')) {
      const pair = /^\s*([a-z_][a-z0-9_]*)\s*:\s*([^,:]+?)\s*$/i.exec(part);
      if (!pair) throw new ThresholdSyntaxError(`tag filter "${part.trim()}" in "${key}" must be name:value`);
      tags[pair[1] as string] = pair[2] as string;
    }
  }
  return { metric, tags };
}

/** Checks the metric exists and carries the filtered tags. */
export function checkKeyAgainstCatalogue(parsed: ParsedKey): void {
  const definition = findMetric(parsed.metric);
  if (!definition) throw new ThresholdSyntaxError(`unknown metric "${parsed.metric}"`);
  for (const tag of Object.keys(parsed.tags)) {
    if (!definition.tags.includes(tag)) {
      throw new ThresholdSyntaxError(
        `metric "${parsed.metric}" has no tag "${tag}"; its tags are ${definition.tags.join(', ') || 'none'}`,
      );
    }
  }
}

/**
 * Checks the metric is known and the aggregation fits its kind (trend: avg min max med p(N) count; counter:
 * count rate; rate: rate count). A Rate's `rate` is a fraction of its samples (k6): `frame_loss_ratio:
 * ["rate<0.01"]` is under 1%, so a bound outside 0..1 is a mistake (most likely a percentage), and its
 * `count` is its samples (for frame_loss_ratio: expected frames at receivers).
 */
export function checkAgainstCatalogue(parsed: ParsedKey, expression: ThresholdExpression): void {
  checkKeyAgainstCatalogue(parsed);
  const definition = findMetric(parsed.metric);
  if (!definition) return;
  const kind = expression.aggregation.kind;
  const allowed = definition.kind === 'trend' ? ['avg', 'min', 'max', 'med', 'percentile', 'count'] : ['count', 'rate'];
  if (!allowed.includes(kind)) {
    const names = allowed.map((a) => (a === 'percentile' ? 'p(N)' : a)).join(', ');
    throw new ThresholdSyntaxError(
      `"${expression.source}": ${definition.kind} metric "${parsed.metric}" supports ${names}`,
    );
  }
  if (definition.kind === 'rate' && kind === 'rate' && !(expression.value >= 0 && expression.value <= 1)) {
    throw new ThresholdSyntaxError(
      `"${expression.source}": the rate of "${parsed.metric}" is a fraction from 0 to 1 (rate<0.01 is under 1%), got ${expression.value}`,
    );
  }
}
