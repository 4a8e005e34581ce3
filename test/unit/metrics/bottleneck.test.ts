import { describe, expect, it } from 'vitest';

import {
  type AiDeviceSecond,
  type BottleneckInput,
  judgeBottleneck,
  type SfuSecond,
} from '../../../src/metrics/bottleneck.js';

/** `n` seconds of the SFU ending at 1000, 2000, ... ms, the window being [0, n * 1000]. */
function sfu(n: number, second: (i: number) => Partial<SfuSecond>): SfuSecond[] {
  return Array.from({ length: n }, (_, i) => ({ ms: (i + 1) * 1000, cpuPct: 20, loopDelayP99Ms: 1, ...second(i) }));
}

const input = (over: Partial<BottleneckInput>): BottleneckInput => ({
  windowStartMs: 0,
  windowEndMs: 10_000,
  sfu: [],
  ...over,
});

describe('judgeBottleneck', () => {
  it('names nothing for an SFU that keeps up', () => {
    expect(judgeBottleneck(input({ sfu: sfu(10, () => ({ cpuPct: 60, loopDelayP99Ms: 12 })) }))).toEqual({
      findings: [],
    });
  });

  it('names the SFU when its CPU is over 85% of a core in more than 10% of the window, saying how much and how long', () => {
    const judged = judgeBottleneck(input({ sfu: sfu(10, (i) => (i < 9 ? { cpuPct: 99 } : {})) }));
    expect(judged.bottleneck?.process).toBe('sfu');
    expect(judged.bottleneck?.reason).toBe('CPU 99% of a core in 90% of the window (line 85%)');
  });

  it('names the SFU on its event-loop delay alone, with the median and worst second', () => {
    // the median second by nearest rank, as every other percentile glassbench reports: 200 of 5,5,5,5,200,...,250
    const judged = judgeBottleneck(input({ sfu: sfu(10, (i) => ({ loopDelayP99Ms: i < 6 ? 200 + i * 10 : 5 })) }));
    expect(judged.bottleneck).toEqual({
      process: 'sfu',
      reason: 'event-loop delay p99 200 ms (median second, worst 250 ms), over 50 ms in 60% of the window',
    });
  });

  it('does not count one bad second in ten (the share must be over 10%)', () => {
    expect(
      judgeBottleneck(input({ sfu: sfu(10, (i) => (i === 3 ? { cpuPct: 100, loopDelayP99Ms: 400 } : {})) })).bottleneck,
    ).toBeUndefined();
    expect(judgeBottleneck(input({ sfu: sfu(10, (i) => (i < 2 ? { cpuPct: 100 } : {})) })).bottleneck?.process).toBe(
      'sfu',
    );
  });

  it('judges the measured window only: seconds of set-up and drain do not count', () => {
    // a busy connection phase before the hold and a drain after sending stopped, calm in between
    const seconds = sfu(20, (i) => (i < 5 || i >= 15 ? { cpuPct: 100, loopDelayP99Ms: 300 } : {}));
    expect(
      judgeBottleneck(input({ sfu: seconds, windowStartMs: 5000, windowEndMs: 15_000 })).bottleneck,
    ).toBeUndefined();
    expect(judgeBottleneck(input({ sfu: seconds, windowStartMs: 0, windowEndMs: 20_000 })).bottleneck?.process).toBe(
      'sfu',
    );
  });

  it('names nothing without samples in the window', () => {
    expect(judgeBottleneck(input({ sfu: [], windowEndMs: 0 }))).toEqual({ findings: [] });
  });

  describe('a multi-worker SFU', () => {
    /** one process's seconds: `worker` undefined is the HTTP front */
    const of = (worker: number | undefined, second: (i: number) => Partial<SfuSecond>): SfuSecond[] =>
      sfu(10, (i) => ({ ...second(i), ...(worker === undefined ? {} : { worker }) }));

    it('judges each worker alone: one saturated worker among idle ones is named, with how many were over', () => {
      // mean CPU over the three processes is 44%: judged together, nothing would be over the line
      const seconds = [
        ...of(undefined, () => ({ cpuPct: 5 })),
        ...of(0, () => ({ cpuPct: 30 })),
        ...of(1, () => ({ cpuPct: 98 })),
      ];
      const judged = judgeBottleneck(input({ sfu: seconds }));
      expect(judged.bottleneck).toEqual({
        process: 'sfu-w1',
        reason: 'CPU 98% of a core in 100% of the window (line 85%) (1 of 2 workers over a line)',
      });
      expect(judged.findings.map((f) => f.process)).toEqual(['sfu-w1']);
    });

    it('names the worst worker first (most of the window over a line), every worker over a line in findings', () => {
      const seconds = [
        ...of(0, (i) => (i < 3 ? { loopDelayP99Ms: 120 } : {})),
        ...of(1, (i) => (i < 8 ? { cpuPct: 95 } : {})),
        ...of(2, () => ({})),
      ];
      const judged = judgeBottleneck(input({ sfu: seconds }));
      expect(judged.findings.map((f) => f.process)).toEqual(['sfu-w1', 'sfu-w0']);
      expect(judged.findings[1]?.reason).toMatch(
        /^event-loop delay p99 .* over 50 ms in 30% of the window \(2 of 3 workers over a line\)$/,
      );
    });

    it('names the HTTP front as the SFU, saying it is the front', () => {
      const seconds = [...of(undefined, () => ({ loopDelayP99Ms: 80 })), ...of(0, () => ({})), ...of(1, () => ({}))];
      expect(judgeBottleneck(input({ sfu: seconds })).bottleneck).toEqual({
        process: 'sfu',
        reason:
          'event-loop delay p99 80 ms (median second, worst 80 ms), over 50 ms in 100% of the window (its HTTP front)',
      });
    });

    it('names nothing when every worker keeps up', () => {
      const seconds = [
        ...of(undefined, () => ({})),
        ...of(0, () => ({ cpuPct: 80 })),
        ...of(1, () => ({ cpuPct: 84 })),
      ];
      expect(judgeBottleneck(input({ sfu: seconds }))).toEqual({ findings: [] });
    });
  });

  describe('AI workers', () => {
    const devices = (n: number, second: (i: number) => Partial<AiDeviceSecond>): AiDeviceSecond[] =>
      Array.from({ length: n }, (_, i) => ({
        ms: (i + 1) * 1000,
        name: 'sim0',
        utilisationPct: 40,
        queueLength: 0,
        ...second(i),
      }));
    const ai = (over: Partial<NonNullable<BottleneckInput['ai']>>): NonNullable<BottleneckInput['ai']> => ({
      devices: [],
      framesDropped: 0,
      framesSent: 300,
      policy: 'drop-oldest',
      queueMax: 4,
      ...over,
    });

    it('names the AI workers for a busy device, a growing queue or drops over 1%', () => {
      const busy = judgeBottleneck(
        input({ sfu: sfu(10, () => ({})), ai: ai({ devices: devices(10, () => ({ utilisationPct: 99 })) }) }),
      );
      expect(busy.bottleneck).toEqual({ process: 'ai', reason: 'device sim0 95% busy or more in 100% of the window' });
      const growing = judgeBottleneck(input({ ai: ai({ devices: devices(10, (i) => ({ queueLength: i })) }) }));
      expect(growing.bottleneck?.reason).toBe("device sim0's queue grew from 2.0 to 7.0 calls waiting");
      const dropping = judgeBottleneck(input({ ai: ai({ framesDropped: 30 }) }));
      expect(dropping.bottleneck?.reason).toBe('30 of 300 frames dropped by the drop-oldest queue (max 4)');
      expect(
        judgeBottleneck(input({ ai: ai({ framesDropped: 3, devices: devices(10, () => ({})) }) })).bottleneck,
      ).toBeUndefined();
    });

    it('names the SFU first when both could not keep up, and keeps what the AI workers showed', () => {
      const judged = judgeBottleneck(input({ sfu: sfu(10, () => ({ cpuPct: 100 })), ai: ai({ framesDropped: 50 }) }));
      expect(judged.bottleneck?.process).toBe('sfu');
      expect(judged.findings.map((f) => f.process)).toEqual(['sfu', 'ai']);
    });
  });
});
