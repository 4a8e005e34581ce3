/**
 * An external target's SFU side: whether it is a glassbench reference SFU on another host (its `/clock` answers),
 * and if so its telemetry stream, read with the target's token, so `uplink_ms`, `sfu_ms` and `downlink_ms`
 * exist in distributed runs too; and the clock offset to its host (or to the scenario's time host), with which
 * its times are read into this shard's clock.
 */
import type { TelemetryRecord } from '../protocol/telemetry.js';
import type { Scenario, Target } from '../scenario/types.js';
import { ClockSync, exchangeOnce, telemetryToLocal } from './clock-sync.js';
import { connectTelemetry, type TelemetryClient } from './telemetry-client.js';

type ExternalTarget = Extract<Target, { type: 'external' }>;

/** `base` without a trailing slash or a trailing `/telemetry` (the key may name the stream itself). */
function baseOf(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/telemetry$/, '');
}

/**
 * Where the target's reference SFU serves /telemetry and /clock, or why none is read: `target.telemetry` names it
 * (or is false); by default the WHIP URL's origin, when its /clock answers as a glassbench SFU's does.
 */
export async function remoteSfuBase(target: ExternalTarget): Promise<{ base?: string; why?: string }> {
  if (target.telemetry === false) return { why: 'target.telemetry is false' };
  if (typeof target.telemetry === 'string') return { base: baseOf(target.telemetry) };
  const origin = new URL(target.whipUrl.replaceAll('{room}', 'r1')).origin;
  try {
    await exchangeOnce({ url: `${origin}/clock`, ...(target.token ? { token: target.token } : {}) }, 2000);
    return { base: origin };
  } catch (error) {
    return { why: `${origin}/clock did not answer as a glassbench SFU's does (${(error as Error).message})` };
  }
}

/** The run's clock against an external target: its time host, else its SFU's /clock, else unknown. */
async function externalClock(scenario: Scenario, base: string | undefined, token?: string): Promise<ClockSync> {
  const host = scenario.clock?.hostUrl;
  const tries: string[] = [];
  if (host !== undefined) {
    const url = `${baseOf(host)}/clock`;
    try {
      return await ClockSync.connect('time-host', { url });
    } catch (error) {
      tries.push((error as Error).message);
    }
  }
  if (base !== undefined) {
    try {
      return await ClockSync.connect('sfu-endpoint', { url: `${base}/clock`, ...(token ? { token } : {}) });
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
): Promise<RemoteSfu> {
  const found = await remoteSfuBase(target);
  const clock = await externalClock(scenario, found.base, target.token);
  clock.start();
  let telemetry: TelemetryClient | undefined;
  if (found.base !== undefined) {
    try {
      telemetry = await connectTelemetry(found.base, target.token, (record) => {
        if (!isOthers(record, publisherTags)) onRecord(telemetryToLocal(record, clock.offsetMs));
      });
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

/** A frame record (`in`, `out`, `ai`) keyed `tag:seq` of a publisher tag this shard does not have. */
function isOthers(record: TelemetryRecord, publisherTags: ReadonlySet<number>): boolean {
  if (record.k !== 'in' && record.k !== 'out' && record.k !== 'ai') return false;
  if (record.f.startsWith('rtp:')) return false; // browser frames: the collector joins them by its own streams
  return !publisherTags.has(Number(record.f.split(':')[0]));
}
