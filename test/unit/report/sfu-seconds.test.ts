import { describe, expect, it } from 'vitest';

import { sfuLoopDelayPoints } from '../../../src/report/sfu-seconds.js';

describe('sfuLoopDelayPoints', () => {
  it("draws a one-process SFU's seconds as they are", () => {
    expect(sfuLoopDelayPoints([{ tMs: 2000, cpuPct: 10, loopDelayP99Ms: 3 }])).toEqual([[1, 3]]);
  });

  it("draws the worst worker's delay each second, leaving out the HTTP front", () => {
    const seconds = [
      { tMs: 2000, cpuPct: 1, loopDelayP99Ms: 90 },
      { tMs: 2010, cpuPct: 50, loopDelayP99Ms: 4, worker: 0 },
      { tMs: 2020, cpuPct: 99, loopDelayP99Ms: 60, worker: 1 },
      { tMs: 3010, cpuPct: 50, loopDelayP99Ms: 5, worker: 0 },
    ];
    expect(sfuLoopDelayPoints(seconds)).toEqual([
      [1, 60],
      [2, 5],
    ]);
  });
});
