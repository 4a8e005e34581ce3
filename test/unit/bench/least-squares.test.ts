import { describe, expect, it } from 'vitest';

import { leastSquares } from '../../../bench/browser-pages.js';

describe('bench part (c) fit', () => {
  it('finds the slope and intercept of Chromium CPU against pages', () => {
    const fit = leastSquares([
      { x: 1, y: 30 },
      { x: 2, y: 38 },
      { x: 4, y: 54 },
      { x: 8, y: 86 },
    ]);
    expect(fit?.slope).toBeCloseTo(8, 10);
    expect(fit?.intercept).toBeCloseTo(22, 10);
    // noisy repeats at the same counts: the fit goes through their means
    const noisy = leastSquares([
      { x: 1, y: 29 },
      { x: 1, y: 31 },
      { x: 4, y: 50 },
      { x: 4, y: 58 },
    ]);
    expect(noisy?.slope).toBeCloseTo(8, 10);
  });

  it('has no fit without two distinct page counts', () => {
    expect(leastSquares([{ x: 2, y: 40 }])).toBeNull();
    expect(
      leastSquares([
        { x: 2, y: 40 },
        { x: 2, y: 44 },
      ]),
    ).toBeNull();
  });
});
