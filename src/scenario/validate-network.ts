/**
 * Normalises `network` blocks (the scenario's and each peer group's) into link impairments with defaults. A named
 * profile (`profile: 4g`, src/network/profiles.ts) is the base of a link; the keys beside it override its values.
 */
import { isNetworkProfileName, type NamedNetworkProfile, NETWORK_PROFILES } from '../network/profiles.js';
import type { PathSegment } from './load.js';
import { durationAt, type Problems, show } from './problems.js';
import type { RawLink, RawNetwork } from './schema.js';
import type { LinkImpairment, NetworkProfile } from './types.js';

type Direction = 'uplink' | 'downlink';

const UNIMPAIRED: LinkImpairment = { delayMs: 0, jitterMs: 0, lossPct: 0, burstLossPackets: 0, rateKbps: 0 };

/** The named profile, or undefined (an unknown name is the schema's problem: its message lists the names). */
function named(name: unknown): NamedNetworkProfile | undefined {
  return isNetworkProfileName(name) ? NETWORK_PROFILES[name] : undefined;
}

/** One direction: its own profile's values (else `base`), overridden by the keys it gives. */
function toLink(
  problems: Problems,
  raw: RawLink | undefined,
  path: PathSegment[],
  direction: Direction,
  base: LinkImpairment,
): LinkImpairment {
  const v: RawLink = raw !== null && typeof raw === 'object' ? raw : {};
  const from = named(v.profile)?.[direction] ?? base;
  let lossPct = from.lossPct;
  const loss = v.loss;
  if (loss !== undefined) {
    const text = typeof loss === 'string' ? loss.trim() : String(loss);
    const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text);
    const value = match ? Number(match[1]) : Number.NaN;
    if (!(value >= 0 && value <= 100))
      problems.add([...path, 'loss'], `must be a percentage from 0 to 100 like 5% or 0.5, got ${show(loss)}`);
    else lossPct = value;
  }
  const burst = v.burstLoss ?? from.burstLossPackets;
  if (v.burstLoss !== undefined && burst > 0 && burst < 1)
    problems.add(
      [...path, 'burstLoss'],
      `is the mean length of a loss burst in packets (1 or more), got ${show(burst)}`,
    );
  // a profile's bursts with its loss overridden to 0 just lose nothing
  if (v.burstLoss !== undefined && burst > 0 && lossPct === 0)
    problems.add([...path, 'burstLoss'], 'needs loss: the long-run share of packets lost');
  const delayMs = durationAt(problems, v, 'delay', path, from.delayMs);
  const jitterMs = durationAt(problems, v, 'jitter', path, from.jitterMs);
  if (jitterMs > delayMs) {
    if (v.jitter !== undefined)
      problems.add(
        [...path, 'jitter'],
        `must not exceed delay (${delayMs} ms): a packet cannot arrive before it was sent`,
      );
    else
      problems.add(
        [...path, 'delay'],
        `must not be less than the profile's jitter (${jitterMs} ms): a packet cannot arrive before it was sent; give jitter too`,
      );
  }
  return { delayMs, jitterMs, lossPct, burstLossPackets: burst, rateKbps: v.rateKbps ?? from.rateKbps };
}

export function toNetwork(
  problems: Problems,
  raw: RawNetwork | undefined,
  path: PathSegment[],
): NetworkProfile | undefined {
  // a value the schema refused (null, a string) still gets this far: see checkScenario
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  // the block's profile is the base of every link it describes, its schedule's included
  const block = named(raw.profile);
  const baseOf = (profile: NamedNetworkProfile | undefined, d: Direction): LinkImpairment => ({
    ...(profile?.[d] ?? UNIMPAIRED),
  });
  const uplink = toLink(problems, raw.uplink, [...path, 'uplink'], 'uplink', baseOf(block, 'uplink'));
  const downlink = toLink(problems, raw.downlink, [...path, 'downlink'], 'downlink', baseOf(block, 'downlink'));
  const rawSchedule = Array.isArray(raw.schedule) ? raw.schedule : [];
  let previous = -1;
  let before = { uplink, downlink };
  const schedule = rawSchedule.map((rawEntry, i) => {
    const entry: Partial<(typeof rawSchedule)[number]> =
      rawEntry !== null && typeof rawEntry === 'object' ? rawEntry : {};
    const at = [...path, 'schedule', i];
    const atMs = durationAt(problems, entry, 'at', at, 0);
    if (atMs <= previous) problems.add([...at, 'at'], 'schedule entries must be in time order');
    previous = atMs;
    // an entry changes what it names (a direction, or both with its own profile); the rest keeps the settings
    // of the entry before it
    const step = named(entry.profile) ?? block;
    const direction = (d: Direction): LinkImpairment =>
      entry[d] !== undefined
        ? toLink(problems, entry[d], [...at, d], d, baseOf(step, d))
        : entry.profile !== undefined
          ? baseOf(step, d)
          : before[d];
    const change = { atMs, uplink: direction('uplink'), downlink: direction('downlink') };
    before = change;
    return change;
  });
  return { uplink, downlink, schedule };
}
