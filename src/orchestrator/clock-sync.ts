/**
 * This shard's clock offset to the SFU's host, kept current for the whole run (docs/architecture.md, "Clocks"):
 * a burst of NTP-style exchanges at preflight, a short burst every few seconds after, and at every moment the
 * estimate that bounds the offset tightest (estimates age by the clocks' possible drift). SFU telemetry times
 * are read into this shard's clock with it (`toLocalMs`) before the collector sees them.
 *
 * Methods: `same-host` (the built-in SFU: one clock, offset 0, uncertainty the clock's resolution, no exchange
 * needed), `sfu-endpoint` (a remote reference SFU's `GET /clock`), `time-host` (the scenario's `clock.host`, a
 * `glassbench clock` beside an SFU glassbench did not write), `unknown` (nothing answered; offset taken as 0).
 */
import { clockResolutionMs, nowMs } from '../metrics/clock.js';
import {
  agedUncertaintyMs,
  bestEstimate,
  type ClockEstimate,
  type ClockSample,
  estimateOffset,
  uncertainMetrics,
} from '../metrics/clock-offset.js';
import { describeRequestError, httpRequest, type HttpResponse } from '../network/http-client.js';
import { isClockReply } from '../protocol/clock.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';
import type { ClockMethod, ClockSummary } from '../report/summary.js';

export interface ClockEndpoint {
  /** the endpoint's full URL, e.g. http://10.0.0.1:8080/clock */
  url: string;
  /** Bearer token (the reference SFU protects /clock as its other routes when it has one) */
  token?: string;
  /** PEM file of a private CA to trust for an https endpoint (`--ca`, `target.ca`) */
  caFile?: string;
}

export interface ClockSyncOptions {
  /** exchanges of the preflight burst; default 12 */
  preflightExchanges?: number;
  /** exchanges of each burst during the run; default 4 */
  exchanges?: number;
  /** between bursts during the run, ms; default 5000 */
  intervalMs?: number;
  /** one exchange's time limit, ms; default 2000 */
  timeoutMs?: number;
}

/** One exchange with a clock endpoint; throws when it does not answer a ClockReply. */
export async function exchangeOnce(endpoint: ClockEndpoint, timeoutMs = 2000): Promise<ClockSample> {
  const headers: Record<string, string> = endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {};
  const sentMs = nowMs();
  let response: HttpResponse;
  try {
    response = await httpRequest(endpoint.url, {
      headers,
      timeoutMs,
      ...(endpoint.caFile ? { caFile: endpoint.caFile } : {}),
    });
  } catch (error) {
    throw new Error(`GET ${endpoint.url} failed: ${describeRequestError(error, endpoint.caFile)}`, { cause: error });
  }
  const text = response.body;
  // t3 after the whole body: reading it is part of the round trip, so it widens the bound instead of breaking it
  const receivedMs = nowMs();
  if (response.status < 200 || response.status > 299)
    throw new Error(`GET ${endpoint.url} answered ${response.status}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`GET ${endpoint.url} did not answer JSON`);
  }
  if (!isClockReply(body)) throw new Error(`GET ${endpoint.url} did not answer {"receivedMs", "sentMs"}`);
  return { sentMs, remoteReceivedMs: body.receivedMs, remoteSentMs: body.sentMs, receivedMs };
}

export class ClockSync {
  private readonly estimates: ClockEstimate[] = [];
  private current: ClockEstimate | undefined;
  /** the in-force estimate's aged uncertainty at each burst and at the end, for the window's worst */
  private readonly inForce: { atMs: number; uncertaintyMs: number }[] = [];
  private samples = 0;
  private failed = 0;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  private constructor(
    readonly method: ClockMethod,
    readonly resolutionMs: number,
    private readonly endpoint: ClockEndpoint | undefined,
    private readonly options: ClockSyncOptions,
    private readonly note?: string,
  ) {}

  /** The built-in SFU: every process of the shard reads one clock. */
  static sameHost(): ClockSync {
    return new ClockSync('same-host', clockResolutionMs(), undefined, {});
  }

  /** Nothing to ask: the offset is unknown (taken as 0), and `note` says why. */
  static unknown(note: string): ClockSync {
    return new ClockSync('unknown', clockResolutionMs(), undefined, {}, note);
  }

  /** Estimates against `endpoint` now (preflight); throws when no exchange of the burst answered. */
  static async connect(
    method: 'sfu-endpoint' | 'time-host',
    endpoint: ClockEndpoint,
    options: ClockSyncOptions = {},
  ): Promise<ClockSync> {
    const sync = new ClockSync(method, clockResolutionMs(), endpoint, options);
    await sync.burst(options.preflightExchanges ?? 12);
    if (!sync.current)
      throw new Error(`no clock exchange with ${endpoint.url} answered (${sync.lastError ?? 'no answer'})`);
    return sync;
  }

  /** the endpoint asked, if any */
  get source(): string | undefined {
    return this.endpoint?.url;
  }

  /** This shard's clock minus the SFU host's, ms (0 same-host or unknown): local = remote + offsetMs. */
  get offsetMs(): number {
    return this.current?.offsetMs ?? 0;
  }

  /** The bound on the offset's error now, ms; null when unknown. */
  uncertaintyMs(atMs = nowMs()): number | null {
    if (this.method === 'same-host') return this.resolutionMs;
    return this.current ? agedUncertaintyMs(this.current, atMs) : null;
  }

  /** An SFU-stamped time in this shard's clock. */
  toLocalMs(remoteMs: number): number {
    return remoteMs + this.offsetMs;
  }

  /** Re-estimates every `intervalMs` until stop() (a remote method only). */
  start(): void {
    if (!this.endpoint || this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      if (this.busy) return;
      void this.burst(this.options.exchanges ?? 4);
    }, this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Idempotent: no burst starts after this. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** What summary.json says of the clock; `window` bounds the worst in-force uncertainty, `medians` are the run's. */
  summary(medians: Record<string, number | null | undefined>, window?: { fromMs: number; toMs: number }): ClockSummary {
    const endMs = window?.toMs ?? nowMs();
    const now = this.uncertaintyMs(endMs);
    if (now !== null) this.inForce.push({ atMs: endMs, uncertaintyMs: now });
    const inWindow = this.inForce.filter((e) => !window || (e.atMs >= window.fromMs && e.atMs <= window.toMs));
    const worst =
      this.method === 'same-host'
        ? this.resolutionMs
        : now === null
          ? null
          : Math.max(now, ...inWindow.map((e) => e.uncertaintyMs));
    const offsets = this.estimates.map((e) => e.offsetMs);
    // to the nanosecond: a same-host uncertainty is the clock resolution, well under a microsecond
    const round = (ms: number): number => Math.round(ms * 1e6) / 1e6;
    const summary: ClockSummary = {
      method: this.method,
      offsetMs: round(this.offsetMs),
      uncertaintyMs: now === null ? null : round(now),
      uncertaintyMaxMs: worst === null ? null : round(worst),
      resolutionMs: round(this.resolutionMs),
      samples: this.samples,
      failed: this.failed,
      estimates: this.estimates.length,
      offsetMinMs: round(offsets.length > 0 ? Math.min(...offsets) : this.offsetMs),
      offsetMaxMs: round(offsets.length > 0 ? Math.max(...offsets) : this.offsetMs),
      uncertainMetrics: uncertainMetrics(medians, worst === null ? null : round(worst)),
    };
    if (this.endpoint) summary.source = this.endpoint.url;
    const note =
      this.note ?? (this.failed > 0 && this.lastError ? `last failed exchange: ${this.lastError}` : undefined);
    if (note) summary.note = note;
    return summary;
  }

  private async burst(exchanges: number): Promise<void> {
    if (!this.endpoint) return;
    this.busy = true;
    const samples: ClockSample[] = [];
    try {
      for (let i = 0; i < exchanges && !this.stopped; i += 1) {
        try {
          samples.push(await exchangeOnce(this.endpoint, this.options.timeoutMs));
        } catch (error) {
          this.failed += 1;
          this.lastError = (error as Error).message;
        }
      }
    } finally {
      this.busy = false;
    }
    const estimate = estimateOffset(samples, this.resolutionMs);
    if (!estimate) return;
    this.samples += estimate.samples;
    const atMs = estimate.atMs;
    const before = this.uncertaintyMs(atMs);
    if (before !== null) this.inForce.push({ atMs, uncertaintyMs: before });
    this.estimates.push(estimate);
    this.current = bestEstimate(this.estimates, atMs);
    const after = this.uncertaintyMs(atMs);
    if (after !== null) this.inForce.push({ atMs, uncertaintyMs: after });
  }
}

/**
 * A telemetry record with every absolute time read into this shard's clock (local = remote + offsetMs). Durations
 * the SFU measured on its own clock (AI queue and stage times, hook time) need no correction.
 */
export function telemetryToLocal(record: TelemetryRecord, offsetMs: number): TelemetryRecord {
  if (offsetMs === 0) return record;
  const at = (ms: number): number => ms + offsetMs;
  switch (record.k) {
    case 'ai':
      return { ...record, readyMs: at(record.readyMs) };
    case 'speech': {
      const out = { ...record, speechStartMs: at(record.speechStartMs), speechEndMs: at(record.speechEndMs) };
      if (record.asrDoneMs !== undefined) out.asrDoneMs = at(record.asrDoneMs);
      if (record.mtDoneMs !== undefined) out.mtDoneMs = at(record.mtDoneMs);
      if (record.ttsFirstAudioMs !== undefined) out.ttsFirstAudioMs = at(record.ttsFirstAudioMs);
      return out;
    }
    default:
      return { ...record, ms: at(record.ms) };
  }
}
