/** Contracts of result sinks: where frame records and run summaries go. */
import type { FrameRecord } from '../metrics/types.js';
import type { RunSummary } from '../report/summary.js';

export interface Sink {
  /** one record per received frame, as it is finalised */
  writeFrame(record: FrameRecord): void;
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
