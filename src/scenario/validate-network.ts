/** Normalises `network` blocks (the scenario's and each peer group's) into link impairments with defaults. */
import type { PathSegment } from './load.js';
import { durationAt, type Problems, show } from './problems.js';
import type { RawLink, RawNetwork } from './schema.js';
import type { LinkImpairment, NetworkProfile } from './types.js';

function toLink(problems: Problems, raw: RawLink | undefined, path: PathSegment[]): LinkImpairment {
  const v: RawLink = raw ?? {};
  let lossPct = 0;
  const loss = v.loss;
  if (loss !== undefined) {
    const text = typeof loss === 'string' ? loss.trim() : String(loss);
    const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text);
    const value = match ? Number(match[1]) : Number.NaN;
    if (!(value >= 0 && value <= 100))
      problems.add([...path, 'loss'], `must be a percentage from 0 to 100 like 5% or 0.5, got ${show(loss)}`);
    else lossPct = value;
  }
  const burst = v.burstLoss ?? 0;
  if (burst > 0 && burst < 1)
    problems.add(
      [...path, 'burstLoss'],
      `is the mean length of a loss burst in packets (1 or more), got ${show(burst)}`,
    );
  if (burst > 0 && lossPct === 0)
    problems.add([...path, 'burstLoss'], 'needs loss: the long-run share of packets lost');
  const delayMs = durationAt(problems, v, 'delay', path, 0);
  const jitterMs = durationAt(problems, v, 'jitter', path, 0);
  if (jitterMs > delayMs)
    problems.add(
      [...path, 'jitter'],
      `must not exceed delay (${delayMs} ms): a packet cannot arrive before it was sent`,
    );
  return { delayMs, jitterMs, lossPct, burstLossPackets: burst, rateKbps: v.rateKbps ?? 0 };
}

export function toNetwork(
  problems: Problems,
  raw: RawNetwork | undefined,
  path: PathSegment[],
): NetworkProfile | undefined {
  // a value the schema refused (null, a string) still gets this far: see checkScenario
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const uplink = toLink(problems, raw.uplink, [...path, 'uplink']);
  const downlink = toLink(problems, raw.downlink, [...path, 'downlink']);
  const rawSchedule = Array.isArray(raw.schedule) ? raw.schedule : [];
  let previous = -1;
  const schedule = rawSchedule.map((entry, i) => {
    const at = [...path, 'schedule', i];
    const atMs = durationAt(problems, entry, 'at', at, 0);
    if (atMs <= previous) problems.add([...at, 'at'], 'schedule entries must be in time order');
    previous = atMs;
    return {
      atMs,
      // an entry changes what it names; the other direction keeps the settings before it
      uplink: entry.uplink !== undefined ? toLink(problems, entry.uplink, [...at, 'uplink']) : uplink,
      downlink: entry.downlink !== undefined ? toLink(problems, entry.downlink, [...at, 'downlink']) : downlink,
    };
  });
  return { uplink, downlink, schedule };
}
