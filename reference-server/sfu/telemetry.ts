/**
 * The SFU's telemetry (`GET /telemetry`, records in src/protocol/telemetry.ts): fans records out to every
 * listener as NDJSON, batched every 50 ms so the hot path only appends to an array. A listener is a harness's
 * HTTP response, or (in a worker process of a multi-worker SFU) a function that relays the text to the HTTP
 * front. Records produced while nobody listens are dropped (there is nobody to lose them for).
 */
import type { ServerResponse } from 'node:http';

import { ResourceSampler } from '../../src/metrics/resources.js';
import type { TelemetryRecord } from '../../src/protocol/telemetry.js';
import type { TelemetrySink } from '../ai/reporting.js';

const FLUSH_INTERVAL_MS = 50;

type Write = (text: string) => void;

export class TelemetryStream implements TelemetrySink {
  private readonly listeners = new Set<Write>();
  private readonly responses = new Set<ServerResponse>();
  private batch: TelemetryRecord[] = [];
  /** NDJSON lines that came serialized (from worker processes) */
  private text = '';
  private readonly timer: NodeJS.Timeout;

  /** `onActiveChange`: told when the first listener comes and when the last one goes */
  constructor(private readonly onActiveChange: (active: boolean) => void = () => undefined) {
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  push(record: TelemetryRecord): void {
    if (this.listeners.size > 0) this.batch.push(record);
  }

  /** Lines already serialized, each ending in a newline. */
  pushText(lines: string): void {
    if (this.listeners.size > 0) this.text += lines;
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.write('{"k":"hello"}\n');
    const write: Write = (text) => void res.write(text);
    this.responses.add(res);
    this.addListener(write);
    res.on('close', () => {
      this.responses.delete(res);
      this.removeListener(write);
    });
  }

  /** A listener that is a function (a worker relaying to its front); returns its detach. */
  attachWriter(write: Write): () => void {
    this.addListener(write);
    return () => this.removeListener(write);
  }

  flush(): void {
    if (this.batch.length === 0 && this.text === '') return;
    let text = this.text;
    this.text = '';
    if (this.batch.length > 0) text += `${this.batch.map((r) => JSON.stringify(r)).join('\n')}\n`;
    this.batch = [];
    for (const write of this.listeners) write(text);
  }

  close(): void {
    this.flush();
    clearInterval(this.timer);
    for (const res of this.responses) res.end();
    this.responses.clear();
    this.listeners.clear();
  }

  private addListener(write: Write): void {
    this.listeners.add(write);
    if (this.listeners.size === 1) this.onActiveChange(true);
  }

  private removeListener(write: Write): void {
    if (!this.listeners.delete(write)) return;
    if (this.listeners.size === 0) {
      this.batch = [];
      this.text = '';
      this.onActiveChange(false);
    }
  }
}

/** A sampler of this process's seconds (CPU, memory, event-loop delay) as `res` records, of worker `worker` if given. */
export function resourceSampler(telemetry: TelemetryStream, worker?: number): ResourceSampler {
  const of = worker === undefined ? {} : { worker };
  return new ResourceSampler((s) =>
    telemetry.push({
      k: 'res',
      ms: s.ms,
      cpuPct: s.cpuPct,
      rssMb: s.rssMb,
      loopDelayP99Ms: s.loopDelayP99Ms,
      loopDelayMaxMs: s.loopDelayMaxMs,
      ...of,
    }),
  );
}
