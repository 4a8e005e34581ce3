/**
 * One sink that forwards everything to every sink of the run (frames.ndjson.gz, InfluxDB), so the runner
 * writes each record once.
 */
import type { FrameRecord, SpeechSampleRecord } from '../metrics/types.js';
import type { StatsSample } from '../protocol/runner-ipc.js';
import type { RunSummary } from '../report/summary.js';
import type { Sink } from './types.js';

export class SinkFanOut implements Sink {
  private readonly sinks: Sink[];

  constructor(sinks: (Sink | undefined)[]) {
    this.sinks = sinks.filter((s): s is Sink => s !== undefined);
  }

  writeFrame(record: FrameRecord): void {
    for (const sink of this.sinks) sink.writeFrame(record);
  }

  writeSpeech(record: SpeechSampleRecord): void {
    for (const sink of this.sinks) sink.writeSpeech(record);
  }

  writeStats(peer: string, room: string, peerKind: string, sample: StatsSample, warmup?: boolean): void {
    for (const sink of this.sinks) sink.writeStats(peer, room, peerKind, sample, warmup);
  }

  writeResources(process: string, ms: number, fields: Record<string, number | undefined>): void {
    for (const sink of this.sinks) sink.writeResources(process, ms, fields);
  }

  /**
   * Every sink gets the summary, in order (the frames file, which finishes itself, before InfluxDB), even when
   * another could not take it: a sink reports its own failures (the InfluxDB sink as warnings and the points
   * it keeps in influx-pending.lp), so one failing is no reason to fail the run's other outputs.
   */
  async writeSummary(summary: RunSummary): Promise<void> {
    for (const sink of this.sinks) await sink.writeSummary(summary).catch(() => undefined);
  }

  /** Closes every sink, one after another; idempotent as each sink's close is. */
  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close();
  }
}
