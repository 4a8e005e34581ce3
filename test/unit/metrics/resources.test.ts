import { describe, expect, it } from 'vitest';

import { nowMs } from '../../../src/metrics/clock.js';
import { ResourceSampler } from '../../../src/metrics/resources.js';

describe('ResourceSampler', () => {
  it('reads a loop blocked for the whole interval as that long a delay, not as none', () => {
    // a starved SFU: its event loop never turns between two samples, so the delay monitor records nothing
    const sampler = new ResourceSampler(() => undefined, 60_000).start();
    try {
      const untilMs = nowMs() + 300;
      while (nowMs() < untilMs) {
        // blocked on purpose
      }
      const sample = sampler.sample();
      expect(sample.loopDelayP99Ms).toBeGreaterThanOrEqual(280);
      expect(sample.loopDelayMaxMs).toBeGreaterThanOrEqual(280);
    } finally {
      sampler.stop();
    }
  });
});
