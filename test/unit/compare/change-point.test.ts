import { describe, expect, it } from 'vitest';

import { changePoint } from '../../../src/compare/change-point.js';

describe('changePoint', () => {
  const tolerance = { pct: 5, abs: 5 };
  it('flags a candidate a step away from the history, not one inside its spread', () => {
    const history = [12.1, 11.8, 12.6, 12.0, 30.5, 12.3]; // one odd run does not widen the band for all
    const steady = changePoint('frame_latency_ms', history, 13.0, tolerance);
    expect(steady?.step).toBe(false);
    expect(steady?.historyMedian).toBe(12.1); // nearest rank: the 3rd of 6, not the mean of the 3rd and 4th
    const step = changePoint('frame_latency_ms', history, 42.0, tolerance);
    expect(step?.step).toBe(true);
    expect(step?.band).toBe(5); // the tolerance, wider than 3 spreads of this history
  });

  it('says nothing with fewer than three earlier runs', () => {
    expect(changePoint('frame_latency_ms', [12, 13], 40, tolerance)).toBeUndefined();
  });
});
