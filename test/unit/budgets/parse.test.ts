import { describe, expect, it } from 'vitest';

import {
  checkAgainstCatalogue,
  parseThresholdExpression,
  parseThresholdKey,
  ThresholdSyntaxError,
} from '../../../src/budgets/parse.js';

describe('parseThresholdExpression', () => {
  it.each([
    ['p(95)<400', { kind: 'percentile', percentile: 95 }, '<', 400],
    ['p(99.9) <= 12.5', { kind: 'percentile', percentile: 99.9 }, '<=', 12.5],
    ['avg>=1', { kind: 'avg' }, '>=', 1],
    ['med==3', { kind: 'med' }, '==', 3],
    ['min > -2', { kind: 'min' }, '>', -2],
    ['max!=0', { kind: 'max' }, '!=', 0],
    ['count<10', { kind: 'count' }, '<', 10],
    ['rate<0.01', { kind: 'rate' }, '<', 0.01],
    ['P(50)<1e3', { kind: 'percentile', percentile: 50 }, '<', 1000],
  ])('parses %s', (source, aggregation, operator, value) => {
    const parsed = parseThresholdExpression(source);
    expect(parsed.aggregation).toEqual(aggregation);
    expect(parsed.operator).toBe(operator);
    expect(parsed.value).toBe(value);
  });

  it.each(['p95<400', 'p(95)', 'avg<', '<400', 'p(0)<1', 'p(101)<1', 'mean<3', 'avg<abc', 'avg=<3', 'p(95)<400;rm'])(
    'rejects %s',
    (source) => {
      expect(() => parseThresholdExpression(source)).toThrow(ThresholdSyntaxError);
    },
  );
});

describe('parseThresholdKey', () => {
  it('reads tag filters', () => {
    expect(parseThresholdKey('frame_latency_ms{room:r1, peer_kind:synthetic}')).toEqual({
      metric: 'frame_latency_ms',
      tags: { room: 'r1', peer_kind: 'synthetic' },
    });
  });

  it('rejects malformed filters', () => {
    expect(() => parseThresholdKey('frame_latency_ms{room}')).toThrow(/name:value/);
    expect(() => parseThresholdKey('Frame Latency')).toThrow(ThresholdSyntaxError);
  });
});

describe('checkAgainstCatalogue', () => {
  it('rejects an unknown metric', () => {
    expect(() =>
      checkAgainstCatalogue({ metric: 'g2g_latncy_ms', tags: {} }, parseThresholdExpression('p(95)<400')),
    ).toThrow(/unknown metric "g2g_latncy_ms"/);
  });

  it('rejects a tag the metric does not carry', () => {
    expect(() =>
      checkAgainstCatalogue({ metric: 'cpu_pct', tags: { room: 'r1' } }, parseThresholdExpression('avg<50')),
    ).toThrow(/no tag "room"/);
  });

  it('rejects an aggregation the metric kind does not support', () => {
    expect(() =>
      checkAgainstCatalogue({ metric: 'frames_lost', tags: {} }, parseThresholdExpression('p(95)<1')),
    ).toThrow(/supports count, rate/);
    expect(() =>
      checkAgainstCatalogue({ metric: 'frame_latency_ms', tags: {} }, parseThresholdExpression('rate<1')),
    ).toThrow(/supports/);
  });

  it('accepts a well-formed threshold', () => {
    expect(() =>
      checkAgainstCatalogue(
        { metric: 'frame_latency_ms', tags: { room: 'r1' } },
        parseThresholdExpression('p(95)<400'),
      ),
    ).not.toThrow();
  });
});
