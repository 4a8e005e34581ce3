import { describe, expect, it } from 'vitest';

import { parseDurationMs } from '../../../src/scenario/duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [250, 250],
    ['250', 250],
  ])('%s -> %d ms', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each(['ten seconds', '10 s', '-5s', '', 's', -1, Number.NaN, null, {}])('rejects %j', (input) => {
    expect(parseDurationMs(input)).toBeUndefined();
  });
});
