/**
 * The SFU's telemetry (`GET /telemetry`, records in src/protocol/telemetry.ts): fans records out to every
 * connected harness as NDJSON, batched every 50 ms so the hot path only appends to an array. Records produced
 * while nobody listens are dropped (there is nobody to lose them for).
 */
import type { ServerResponse } from 'node:http';

import type { TelemetryRecord } from '../../src/protocol/telemetry.js';
import type { TelemetrySink } from '../ai/reporting.js';

const FLUSH_INTERVAL_MS = 50;

export class TelemetryStream implements TelemetrySink {
  private readonly listeners = new Set<ServerResponse>();
  private batch: TelemetryRecord[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  push(record: TelemetryRecord): void {
    if (this.listeners.size > 0) this.batch.push(record);
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.write('{"k":"hello"}\n');
    this.listeners.add(res);
    res.on('close', () => this.listeners.delete(res));
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const text = `${this.batch.map((r) => JSON.stringify(r)).join('\n')}\n`;
    this.batch = [];
    for (const res of this.listeners) res.write(text);
  }

  close(): void {
    this.flush();
    clearInterval(this.timer);
    for (const res of this.listeners) res.end();
    this.listeners.clear();
  }
}
