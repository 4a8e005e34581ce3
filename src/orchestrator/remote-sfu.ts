/**
 * An external target's SFU side: whether it is a glassbench reference SFU on another host (its `/clock` answers),
 * and if so its telemetry stream, read with the target's token, so `uplink_ms`, `sfu_ms` and `downlink_ms`
 * exist in distributed runs too; and the clock offset to its host (or to the scenario's time host), with which
 * its times are read into this shard's clock.
 */
import type { SignalingAuth } from '../peers/signaling.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';
import type { Scenario, Target } from '../scenario/types.js';
import { ClockSync, exchangeOnce, telemetryToLocal } from './clock-sync.js';
import { connectTelemetry, type TelemetryClient } from './telemetry-client.js';

type ExternalTarget = Extract<Target, { type: 'external' }>;

function authOf(token: string | undefined, caFile: string | undefined): SignalingAuth {
  return { ...(token ? { token } : {}), ...(caFile ? { caFile } : {}) };
}

/** `base` without a trailing slash or a trailing `/telemetry` (the key may name the stream itself). */
function baseOf(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/telemetry$/, '');
}

/**
 * Where the target's reference SFU serves /telemetry and /clock, or why none is read: `target.telemetry` names it
 * (or is false); by default the WHIP URL's origin, when its /clock answers as a glassbench SFU's does.
 */
export async function remoteSfuBase(target: ExternalTarget, caFile?: string): Promise<{ base?: string; why?: string }> {
  if (target.telemetry === false) return { why: 'target.telemetry is false' };
  if (typeof target.telemetry === 'string') return { base: baseOf(target.telemetry) };
  const origin = new URL(target.whipUrl.replaceAll('{room}', 'r1')).origin;
  try {
    await exchangeOnce({ url: `${origin}/clock`, ...authOf(target.token, caFile) }, 2000);
    return { base: origin };
  } catch (error) {
    return { why: `${origin}/clock did not answer as a glassbench SFU's does (${(error as Error).message})` };
  }
}

/** The run's clock against an external target: its time host, else its SFU's /clock, else unknown. */
/**
 * The clock of an external target's host: the scenario's time host, else the SFU's own /clock (a reference SFU),
 * else unknown (offset taken as 0, and said so).
 */
export async function externalClock(
  scenario: Scenario,
  base: string | undefined,
  auth: SignalingAuth = {},
): Promise<ClockSync> {
  const host = scenario.clock?.hostUrl;
  const tries: string[] = [];
  if (host !== undefined) {
    const url = `${baseOf(host)}/clock`;
    try {
      return await ClockSync.connect('time-host', { url, ...(auth.caFile ? { caFile: auth.caFile } : {}) });
    } catch (error) {
      tries.push((error as Error).message);
    }
  }
  if (base !== undefined) {
    try {
      return await ClockSync.connect('sfu-endpoint', { url: `${base}/clock`, ...auth });
    } catch (error) {
      tries.push((error as Error).message);
    }
  }
  return ClockSync.unknown(
    tries.length > 0
      ? `no clock endpoint answered (${tries.join('; ')}): the offset to the SFU's host is unknown and taken as 0`
      : "the SFU serves no /clock and the scenario names no clock.host: the offset to the SFU's host is unknown",
  );
}

export interface RemoteSfu {
  clock: ClockSync;
  telemetry?: TelemetryClient;
}

/**
 * Connects to an external target's SFU side: the clock (estimated now, re-estimated while the run goes) and, for a
 * reference SFU, its telemetry stream into `onRecord`, times already in this shard's clock. Only the records of
 * this shard's publishers are passed on: another shard's frames on a shared SFU are not this shard's to judge.
 */
export async function connectRemoteSfu(
  scenario: Scenario,
  target: ExternalTarget,
  publisherTags: ReadonlySet<number>,
  onRecord: (record: TelemetryRecord) => void,
  notes: string[],
  options: {
    /** a private CA for an https SFU (`--ca`, `target.ca`) */
    caFile?: string;
    /** the telemetry stream ended mid-run (the SFU went away, restarted, or the link dropped): a fault */
    onGap?: (what: string, cost: string) => void;
  } = {},
): Promise<RemoteSfu> {
  const { caFile } = options;
  const found = await remoteSfuBase(target, caFile);
  const auth = authOf(target.token, caFile);
  const clock = await externalClock(scenario, found.base, auth);
  clock.start();
  let telemetry: TelemetryClient | undefined;
  if (found.base !== undefined) {
    try {
      telemetry = await resilientTelemetry(
        found.base,
        auth,
        (record) => {
          if (!isOthers(record, publisherTags)) onRecord(telemetryToLocal(record, clock.offsetMs));
        },
        notes,
        options.onGap,
      );
    } catch (error) {
      notes.push(
        `external SFU: ${found.base}/telemetry could not be read (${(error as Error).message}), so uplink_ms, sfu_ms and downlink_ms are not reported`,
      );
    }
  } else
    notes.push(
      `external SFU: ${found.why ?? 'no telemetry'}; its sfuInMs and sfuOutMs are unknown, so uplink_ms, sfu_ms and downlink_ms are not reported`,
    );
  return { clock, ...(telemetry ? { telemetry } : {}) };
}

/** how long to wait before asking a remote SFU for its telemetry stream again, ms */
const RECONNECT_MS = 1000;

/**
 * A remote SFU's telemetry over a network that may drop the connection: opened again (every second until it
 * answers) whenever it ends before close(), each drop said in the notes, since frames in the gap have no SFU stamps.
 */
async function resilientTelemetry(
  base: string,
  auth: SignalingAuth,
  onRecord: (record: TelemetryRecord) => void,
  notes: string[],
  onGap?: (what: string, cost: string) => void,
): Promise<TelemetryClient> {
  let closed = false;
  // gives up an opening still in flight when the run closes (an SFU host that vanished)
  const closing = new AbortController();
  let current: TelemetryClient | undefined;
  let badLinesBefore = 0;
  let firstBadBefore: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const reopen = (): void => {
    timer = setTimeout(() => {
      if (closed) return;
      connectTelemetry(base, auth, onRecord, onEnd, closing.signal).then(
        (client) => {
          if (closed) client.close();
          else current = client;
        },
        () => reopen(),
      );
    }, RECONNECT_MS);
    timer.unref();
  };
  const onEnd = (): void => {
    if (closed) return;
    badLinesBefore += current?.badLines ?? 0;
    firstBadBefore ??= current?.firstBadLine;
    notes.push(
      `external SFU: its telemetry stream (${base}/telemetry) ended mid-run and was opened again; frames in the gap have no SFU stamps`,
    );
    onGap?.(
      `external SFU: its telemetry stream (${base}/telemetry) ended mid-run (the SFU went away or restarted, or the link dropped)`,
      'frames in the gap have no SFU stamps (uplink_ms, sfu_ms, downlink_ms); the stream is opened again every second',
    );
    reopen();
  };
  current = await connectTelemetry(base, auth, onRecord, onEnd, closing.signal);
  return {
    get badLines() {
      return badLinesBefore + (current?.badLines ?? 0);
    },
    get firstBadLine() {
      return firstBadBefore ?? current?.firstBadLine;
    },
    close: () => {
      closed = true;
      clearTimeout(timer);
      closing.abort();
      current?.close();
    },
  };
}

/** A frame record (`in`, `out`, `ai`) keyed `tag:seq` of a publisher tag this shard does not have. */
function isOthers(record: TelemetryRecord, publisherTags: ReadonlySet<number>): boolean {
  if (record.k !== 'in' && record.k !== 'out' && record.k !== 'ai') return false;
  if (record.f.startsWith('rtp:')) return false; // browser frames: the collector joins them by its own streams
  return !publisherTags.has(Number(record.f.split(':')[0]));
}
