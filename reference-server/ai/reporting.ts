/**
 * What the AI hook reports to, as small interfaces: the SFU (reference-server/sfu) provides them, so the AI
 * hook does not import the SFU that hosts it (the SFU imports the hook, never the other way round).
 */
import type { Counter, Gauge, Histogram } from 'prom-client';

import type { TelemetryRecord } from '../../src/protocol/telemetry.js';

/** Where records for the harness go (the SFU's telemetry stream, `GET /telemetry`). */
export interface TelemetrySink {
  push(record: TelemetryRecord): void;
}

/** The Prometheus instruments the AI hook updates (`GET /metrics`; the SFU's registry holds them). */
export interface AiMetrics {
  readonly aiFrames: Counter<'outcome'>;
  readonly aiQueue: Gauge;
  readonly aiBatchSize: Histogram;
  readonly aiBatchWait: Histogram;
  readonly aiDeviceUtilisation: Gauge<'device'>;
  readonly aiGpuUtilisation: Gauge<'device'>;
  readonly aiDeviceQueue: Gauge<'device'>;
}
