import { describe, expect, it } from 'vitest';

import type { FrameRecord, SpeechSampleRecord } from '../../../src/metrics/types.js';
import type { StatsSample } from '../../../src/protocol/runner-ipc.js';
import type { RunSummary } from '../../../src/report/summary.js';
import { SinkFanOut } from '../../../src/sinks/fan-out.js';
import type { Sink } from '../../../src/sinks/types.js';

/** A sink that notes what it was given; `failSummary` makes its writeSummary reject. */
function recordingSink(log: string[], name: string, failSummary = false): Sink {
  return {
    writeFrame: (r) => log.push(`${name} frame ${r.frameId ?? ''}`),
    writeSpeech: (r) => log.push(`${name} speech ${r.utterance}`),
    writeStats: (peer, room, kind, _sample, warmup) =>
      log.push(`${name} stats ${peer} ${room} ${kind} ${String(warmup)}`),
    writeResources: (process, ms) => log.push(`${name} resources ${process} ${ms}`),
    writeSummary: async (s) => {
      log.push(`${name} summary ${s.runId}`);
      if (failSummary) throw new Error('down');
    },
    close: async () => {
      log.push(`${name} close`);
    },
  };
}

describe('sink fan-out', () => {
  it('forwards frames, speech, stats, resources and the summary to every sink, in order, then closes each', async () => {
    const log: string[] = [];
    const sinks = new SinkFanOut([recordingSink(log, 'a'), undefined, recordingSink(log, 'b')]);
    sinks.writeFrame({ frameId: '1:7' } as FrameRecord);
    sinks.writeSpeech({ utterance: 'u1' } as SpeechSampleRecord);
    sinks.writeStats('s1', 'r1', 'browser', {} as StatsSample, true);
    sinks.writeResources('runner-1', 1000, { cpuPct: 5 });
    await sinks.writeSummary({ runId: 'run-1' } as RunSummary);
    await sinks.close();
    expect(log).toEqual([
      'a frame 1:7',
      'b frame 1:7',
      'a speech u1',
      'b speech u1',
      'a stats s1 r1 browser true',
      'b stats s1 r1 browser true',
      'a resources runner-1 1000',
      'b resources runner-1 1000',
      'a summary run-1',
      'b summary run-1',
      'a close',
      'b close',
    ]);
  });

  it('gives the summary to the other sinks when one cannot take it', async () => {
    const log: string[] = [];
    const sinks = new SinkFanOut([recordingSink(log, 'a', true), recordingSink(log, 'b')]);
    await expect(sinks.writeSummary({ runId: 'run-2' } as RunSummary)).resolves.toBeUndefined();
    expect(log).toEqual(['a summary run-2', 'b summary run-2']);
  });
});
