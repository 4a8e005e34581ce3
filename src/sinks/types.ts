/** Contracts of result sinks: where frame records and run summaries go. */
import type { FrameRecord, SpeechSampleRecord } from '../metrics/types.js';
import type { StatsSample } from '../protocol/runner-ipc.js';
import type { RunSummary } from '../report/summary.js';

export interface Sink {
  /** one record per received frame, as it is finalised */
  writeFrame(record: FrameRecord): void;
  /** translation chain: one record per utterance and receiver (or per utterance without receivers), after the run */
  writeSpeech(record: SpeechSampleRecord): void;
  /** one second of a browser receiver's WebRTC stats; `warmup` when it was before the measured window */
  writeStats(peer: string, room: string, peerKind: string, sample: StatsSample, warmup?: boolean): void;
  /** one second of a process's resource use (CPU, memory, event-loop delay) */
  writeResources(process: string, ms: number, fields: Record<string, number | undefined>): void;
  /** the run's summary, once, at the end (also for failed and aborted runs) */
  writeSummary(summary: RunSummary): Promise<void>;
  /** flushes and releases everything; idempotent */
  close(): Promise<void>;
}

export interface InfluxOptions {
  /** server URL, e.g. http://127.0.0.1:8086 */
  url: string;
  /** v2: API token */
  token?: string;
  /** v2: organisation */
  org?: string;
  /** v2: bucket */
  bucket?: string;
  /** v1: database name (`/write?db=`), for 1.x servers */
  db?: string;
  /** extra tags on every point of the run (`--tag branch=main`): `compare --baseline influx:latest` filters on them */
  tags?: Record<string, string>;
}
