import { describe, expect, it } from 'vitest';

import { bottleneckWho, meanCpuByKind, type ProcessUsage, sfuProcessName } from '../../../src/report/summary.js';

const usage = (cpuPctMean: number): ProcessUsage => ({
  samples: 5,
  cpuPctMean,
  cpuPctMax: cpuPctMean,
  overSaturationShare: 0,
  rssMbMax: 50,
});

describe('SFU processes in a run', () => {
  it("names a worker's process sfu-w<index>, and the front (or a one-process SFU) sfu", () => {
    expect(sfuProcessName(undefined)).toBe('sfu');
    expect(sfuProcessName(3)).toBe('sfu-w3');
    expect(bottleneckWho('sfu')).toBe('the reference SFU');
    expect(bottleneckWho('sfu-w1')).toBe("the reference SFU's worker sfu-w1");
    expect(bottleneckWho('ai')).toBe("the SFU's AI workers");
  });

  it("means a multi-worker SFU's CPU over its workers, leaving the HTTP front out; a one-process SFU's as it is", () => {
    expect(meanCpuByKind([{ sfu: usage(40), 'runner-1': usage(30), 'runner-2': usage(50) }])).toEqual({
      sfu: 40,
      runner: 40,
    });
    expect(meanCpuByKind([{ sfu: usage(2), 'sfu-w0': usage(60), 'sfu-w1': usage(90) }])).toEqual({ sfu: 75 });
  });
});
