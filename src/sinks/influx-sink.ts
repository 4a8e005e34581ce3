/**
 * InfluxDB sink (docs/outputs.md) through @influxdata/influxdb-client: v2 (`/api/v2/write` with org and
 * bucket; also InfluxDB 1.8+/3.x compatibility endpoints) or v1 (`/write?db=`) for 1.x servers. Points are
 * batched every second; a batch that cannot be written is appended to `influx-pending.lp` (line protocol,
 * microsecond precision) so nothing is lost, and the run goes on.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

import { InfluxDB, Point } from '@influxdata/influxdb-client';

import { GlassbenchError } from '../errors.js';
import { frameInfluxFields, SPEECH_METRICS, STATS_INFLUX_FIELDS } from '../metrics/catalogue.js';
import { nowMs } from '../metrics/clock.js';
import type { FrameRecord, SpeechSampleRecord } from '../metrics/types.js';
import type { StatsSample } from '../protocol/runner-ipc.js';
import type { RunSummary } from '../report/summary.js';
import type { InfluxOptions, Sink } from './types.js';

/** the counts of summary.accounting, one integer field each in the `accounting` measurement */
export const ACCOUNTING_FIELDS = [
  'expected',
  'received',
  'late',
  'lost',
  'discardedReader',
  'skipped',
  'stale',
] as const;

const FLUSH_INTERVAL_MS = 1000;
const MAX_BATCH_LINES = 5000;
/** how long a frame timestamp is remembered to keep timestamps unique, µs */
const TIMESTAMP_MEMORY_US = 30_000_000;
/** after a failed write, batches go straight to the pending file for this long */
const BACKOFF_MS = 5000;

export interface InfluxRunTags {
  testid: string;
  scenario: string;
  placement: string;
  /** set on every point of one variant's run */
  variant?: string;
  /** `--shard i/n`: this shard of a run split over processes or machines */
  shard?: string;
}

export interface InfluxSinkOptions {
  /** the server, its database or bucket, and extra tags for every point */
  connection: InfluxOptions;
  /** tags of every point of this run */
  tags: InfluxRunTags;
  /** where batches that could not be written are appended (line protocol, µs precision) */
  pendingFile: string;
  /** told each distinct warning once (a failed write); default: nobody */
  onWarning?: (message: string) => void;
}

/** The write endpoint with microsecond precision: v1 `/write?db=`, or v2 `/api/v2/write?org=&bucket=`. */
function writePath(options: InfluxOptions): string {
  return options.db !== undefined
    ? `/write?db=${encodeURIComponent(options.db)}&precision=u`
    : `/api/v2/write?org=${encodeURIComponent(options.org ?? '')}&bucket=${encodeURIComponent(options.bucket ?? '')}&precision=us`;
}

export class InfluxSink implements Sink {
  private readonly client: InfluxDB;
  private readonly path: string;
  private buffer: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  /** frame timestamps (µs) used in the last TIMESTAMP_MEMORY_US, oldest first in `timestampOrder` */
  private readonly usedTimestamps = new Set<number>();
  private timestampOrder: number[] = [];
  private backoffUntilMs = 0;
  private closed = false;
  pointsQueued = 0;
  pointsWritten = 0;
  pointsPending = 0;
  readonly warnings: string[] = [];
  private readonly options: InfluxOptions;
  private readonly tags: InfluxRunTags;
  private readonly pendingFile: string;
  private readonly onWarning: (message: string) => void;

  constructor({ connection: options, tags, pendingFile, onWarning = () => undefined }: InfluxSinkOptions) {
    this.options = options;
    this.tags = tags;
    this.pendingFile = pendingFile;
    this.onWarning = onWarning;
    this.client = new InfluxDB({ url: options.url, token: options.token ?? '', timeout: 3000 });
    this.path = writePath(options);
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  get target(): string {
    return `${this.options.url}${this.options.db !== undefined ? ` (v1 db ${this.options.db})` : ` (v2 bucket ${this.options.bucket ?? ''})`}`;
  }

  /** Points of one measurement collide when tags and time are equal: keep frame timestamps unique. */
  private uniqueMicros(ms: number): number {
    let us = Math.round(ms * 1000);
    while (this.usedTimestamps.has(us)) us += 1;
    this.usedTimestamps.add(us);
    this.timestampOrder.push(us);
    // frames reach the sink within seconds of each other, so older timestamps cannot collide any more:
    // forget them, or a long run would keep one entry per frame
    if (this.timestampOrder.length > 4096 && (this.timestampOrder[0] as number) < us - TIMESTAMP_MEMORY_US) {
      const keepFrom = this.timestampOrder.findIndex((t) => t >= us - TIMESTAMP_MEMORY_US);
      for (const old of this.timestampOrder.slice(0, keepFrom)) this.usedTimestamps.delete(old);
      this.timestampOrder = this.timestampOrder.slice(keepFrom);
    }
    return us;
  }

  private point(measurement: string): Point {
    const point = new Point(measurement)
      .tag('testid', this.tags.testid)
      .tag('scenario', this.tags.scenario)
      .tag('placement', this.tags.placement);
    if (this.tags.variant) point.tag('variant', this.tags.variant);
    if (this.tags.shard) point.tag('shard', this.tags.shard);
    for (const [key, value] of Object.entries(this.options.tags ?? {})) point.tag(key, value);
    return point;
  }

  writeFrame(record: FrameRecord): void {
    const point = this.point('frame').tag('peer_kind', record.peerKind);
    point
      .stringField('room', record.room)
      .stringField('subscriber', record.subscriber)
      .stringField('session', record.session);
    if (record.frameId) point.stringField('frame_id', record.frameId);
    if (record.publisher) point.stringField('publisher', record.publisher);
    point.booleanField('keyframe', record.keyframe).intField('bytes', record.bytes);
    // the frame's stamps (times, not metrics: the metrics between them are the catalogue's fields)
    const stamps: [string, number | undefined][] = [
      ['capture_ms', record.captureMs],
      ['sent_ms', record.sentMs],
      ['sfu_in_ms', record.sfuInMs],
      ['sfu_out_ms', record.sfuOutMs],
      ['received_ms', record.receivedMs],
      ['rendered_ms', record.renderedMs],
      ['ai_result_ms', record.aiResultMs],
    ];
    for (const [name, value] of [...stamps, ...frameInfluxFields(record)])
      if (value !== undefined) point.floatField(name, value);
    if (record.aiDevice) point.stringField('ai_device', record.aiDevice);
    if (record.identity) point.stringField('identity', record.identity);
    if (record.identityLost) point.booleanField('identity_lost', true);
    if (record.warmup) point.booleanField('warmup', true);
    point.timestamp(String(this.uniqueMicros(record.receivedMs ?? record.renderedMs ?? nowMs())));
    this.enqueue(point);
  }

  /** One utterance at one receiver (translation chain): measurement `speech`, timestamp = utterance end. */
  writeSpeech(record: SpeechSampleRecord): void {
    const point = this.point('speech').tag('peer_kind', record.peerKind ?? 'none');
    point
      .stringField('room', record.room)
      .stringField('publisher', record.publisher)
      .stringField('utterance', record.utterance)
      .intField('n', record.n);
    if (record.subscriber !== undefined) point.stringField('subscriber', record.subscriber);
    if (record.session !== undefined) point.stringField('session', record.session);
    point.stringField('recognised', record.recognised).stringField('translation', record.translation);
    for (const { field, influxField } of SPEECH_METRICS) {
      const value = record[field];
      if (value !== undefined) point.floatField(influxField, value);
    }
    if (record.warmup) point.booleanField('warmup', true);
    point.timestamp(String(this.uniqueMicros(record.utteranceEndMs)));
    this.enqueue(point);
  }

  /**
   * One second of a receiver's WebRTC stats (browsers: getStats; synthetic: packet loss): measurement `webrtc`
   * (docs/outputs.md). `warmup`: the second lies before the measured window (the collector's
   * measureFromMs), so the run's metrics do not count it.
   */
  writeStats(peer: string, room: string, peerKind: string, sample: StatsSample, warmup?: boolean): void {
    const point = this.point('webrtc').tag('peer_kind', peerKind).stringField('peer', peer).stringField('room', room);
    // as on frame points: a merge of shards (report --influx) leaves warm-up seconds out, as the summary did
    if (warmup) point.booleanField('warmup', true);
    for (const [field, key] of STATS_INFLUX_FIELDS) {
      const value = sample[key];
      if (value !== undefined) point.floatField(field, value);
    }
    if (sample.fps !== undefined) point.floatField('fps', sample.fps);
    point.timestamp(String(this.uniqueMicros(sample.ms)));
    this.enqueue(point);
  }

  /**
   * One second of one process's resources (measurement `resources`, tag `process`: `harness`, `runner-N`,
   * `browser-N`, `sfu`, or `machine` with machine_cpu_pct and machine_steal_pct): the measured window's samples.
   */
  writeResources(process: string, ms: number, fields: Record<string, number | undefined>): void {
    const point = this.point('resources').tag('process', process);
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) point.floatField(name, value);
    point.timestamp(String(Math.round(ms * 1000)));
    this.enqueue(point);
  }

  async writeSummary(summary: RunSummary): Promise<void> {
    const timestamp = String(Math.round(Date.parse(summary.endedAt) * 1000));
    const reasons = summary.saturation?.reasons.map((r) => r.text).join('; ');
    for (const [metric, values] of Object.entries(summary.metrics)) {
      const point = this.point('summary').tag('metric', metric);
      // trends: count min mean p50 p90 p95 p99 max; counters: count rate (per second); Rates (k6): count
      // hits rate (the fraction, absent without samples: InfluxDB has no null, and floatField throws on one, which
      // would leave the points after it unwritten). All floats, so a field keeps one type across runs.
      for (const [field, value] of Object.entries(values))
        if (typeof value === 'number' && Number.isFinite(value)) point.floatField(field, value);
      point.booleanField('saturated', summary.saturated).stringField('status', summary.status).timestamp(timestamp);
      // what crossed a saturation line, for a dashboard or alert that reads only InfluxDB
      if (reasons) point.stringField('saturation_reasons', reasons);
      this.enqueue(point);
    }
    // the frame accounting (measurement `accounting`, one point per run or shard): a merge adds the shards' up
    const a = summary.accounting;
    if (a) {
      const point = this.point('accounting');
      for (const field of ACCOUNTING_FIELDS) point.intField(field, a[field]);
      this.enqueue(point.booleanField('holds', a.holds).timestamp(timestamp));
    }
    // the run's (shard's) clock offset to the SFU's host (measurement `clock`, one point per run or shard): numbers
    // for a dashboard, and the whole summary.clock as JSON so a merge (`report --influx`) keeps each shard's
    const clock = summary.clock;
    if (clock) {
      const point = this.point('clock').tag('method', clock.method).floatField('offset_ms', clock.offsetMs);
      if (clock.uncertaintyMs !== null) point.floatField('uncertainty_ms', clock.uncertaintyMs);
      point.intField('samples', clock.samples).intField('uncertain_metrics', clock.uncertainMetrics.length);
      this.enqueue(point.stringField('summary_json', JSON.stringify(clock)).timestamp(timestamp));
    }
    // how the receivers named frames (measurement `identity`, one point per run or shard): totals per method for a
    // dashboard, and the whole summary.identity as JSON so a merge adds the shards' up
    const identity = summary.identity;
    if (identity) {
      const point = this.point('identity').intField('identity_lost', identity.identityLost);
      for (const [method, n] of Object.entries(identity.methods)) point.intField(`method_${method}`, n);
      this.enqueue(point.stringField('summary_json', JSON.stringify(identity)).timestamp(timestamp));
    }
    // each process's usage (measurement `process`): what `report --influx` needs to show CPU per process of
    // every shard, as no per-second CPU point is written
    for (const [name, usage] of Object.entries(summary.processes ?? {})) {
      const point = this.point('process').tag('process', name);
      point
        .intField('samples', usage.samples)
        .floatField('cpu_pct_mean', usage.cpuPctMean)
        .floatField('cpu_pct_max', usage.cpuPctMax);
      point
        .floatField('over_saturation_share', usage.overSaturationShare)
        .floatField('rss_mb_max', usage.rssMbMax)
        .timestamp(timestamp);
      this.enqueue(point);
    }
    this.flush();
    await this.chain;
  }

  private enqueue(point: Point): void {
    const line = point.toLineProtocol();
    if (!line) return;
    this.pointsQueued += 1;
    this.buffer.push(line);
    if (this.buffer.length >= MAX_BATCH_LINES) this.flush();
  }

  /** Sends the buffered lines; batches go out one after another, never in parallel. */
  private flush(): void {
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    this.buffer = [];
    this.chain = this.chain.then(() => this.send(lines));
  }

  private async send(lines: string[]): Promise<void> {
    if (nowMs() >= this.backoffUntilMs) {
      try {
        await this.client.transport.request(this.path, lines.join('\n'), {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
        this.pointsWritten += lines.length;
        return;
      } catch (error) {
        this.backoffUntilMs = nowMs() + BACKOFF_MS;
        this.warn(
          `InfluxDB write to ${this.options.url} failed (${(error as Error).message}); points are kept in ${this.pendingFile}`,
        );
      }
    }
    this.spool(lines);
  }

  private spool(lines: string[]): void {
    appendFileSync(this.pendingFile, `${lines.join('\n')}\n`);
    this.pointsPending += lines.length;
  }

  private warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.onWarning(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.flush();
    await this.chain;
  }
}

/**
 * `glassbench report --push-influx <run>`: sends the points a run kept in influx-pending.lp (InfluxDB was down
 * or failing) in batches; what the server took leaves the file, what it refused stays there for a later try.
 * Sending a point twice is harmless (InfluxDB overwrites identical points).
 */
export async function pushPending(
  options: InfluxOptions,
  pendingFile: string,
): Promise<{ sent: number; left: number }> {
  const text = existsSync(pendingFile) ? readFileSync(pendingFile, 'utf8') : '';
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const client = new InfluxDB({ url: options.url, token: options.token ?? '', timeout: 10_000 });
  const path = writePath(options);
  let sent = 0;
  let failure: Error | undefined;
  for (let i = 0; i < lines.length && !failure; i += MAX_BATCH_LINES) {
    const batch = lines.slice(i, i + MAX_BATCH_LINES);
    try {
      await client.transport.request(path, batch.join('\n'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      sent += batch.length;
    } catch (error) {
      failure = error as Error;
    }
  }
  const left = lines.slice(sent);
  if (left.length === 0) rmSync(pendingFile, { force: true });
  else writeFileSync(pendingFile, `${left.join('\n')}\n`);
  if (failure)
    throw new GlassbenchError(
      'RUN_FAILED',
      `InfluxDB at ${options.url} refused points (${failure.message}): ${sent} sent, ${left.length} still in ${pendingFile}`,
    );
  return { sent, left: 0 };
}
