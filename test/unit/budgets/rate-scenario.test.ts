import { describe, expect, it } from 'vitest';

import { checkAgainstCatalogue, parseThresholdExpression } from '../../../src/budgets/parse.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const VALID = `name: ok
duration: 5s
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 2 }
thresholds:
`;

describe('Rate thresholds in a scenario', () => {
  it('accepts frame_loss_ratio: ["rate<0.01"] (under 1%) with tag filters', () => {
    const scenario = scenarioFromText(
      `${VALID}  frame_loss_ratio: ["rate<0.01"]\n  "frame_loss_ratio{room:r1}": ["rate<=0.05", "count>100"]\n`,
      'x.yaml',
    );
    expect(
      scenario.thresholds.map((t) => [t.metric, t.tags, t.expression.aggregation.kind, t.expression.value]),
    ).toEqual([
      ['frame_loss_ratio', {}, 'rate', 0.01],
      ['frame_loss_ratio', { room: 'r1' }, 'rate', 0.05],
      ['frame_loss_ratio', { room: 'r1' }, 'count', 100],
    ]);
  });

  it('refuses a trend aggregation and a bound that is not a fraction, naming the place', () => {
    expect(problemsOf(`${VALID}  frame_loss_ratio: ["p(95)<0.01"]\n`)).toEqual([
      'x.yaml:7:22 thresholds.frame_loss_ratio[0]: "p(95)<0.01": rate metric "frame_loss_ratio" supports count, rate',
    ]);
    expect(problemsOf(`${VALID}  frame_loss_ratio: ["rate<1.5"]\n`)[0]).toMatch(
      /^x\.yaml:7:\d+ thresholds\.frame_loss_ratio\[0\]: "rate<1\.5": the rate of "frame_loss_ratio" is a fraction from 0 to 1 \(rate<0\.01 is under 1%\), got 1\.5$/,
    );
  });

  it('a counter rate stays per second (no 0..1 bound)', () => {
    expect(() =>
      checkAgainstCatalogue({ metric: 'frames_lost', tags: {} }, parseThresholdExpression('rate<30')),
    ).not.toThrow();
  });
});
