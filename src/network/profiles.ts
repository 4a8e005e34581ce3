/**
 * Named network profiles (`profile: 4g` wherever a scenario describes a link, docs/networks.md): typical figures
 * reported for these access networks, rounded, as the two directions of one impaired link. Every value is per
 * direction, as a link's own `delay` is: a frame between two peers that are both on `4g` crosses two such links.
 * The table in docs/networks.md is this table; a unit test keeps the two equal.
 */
import type { LinkImpairment } from '../scenario/types.js';

/** The names a scenario may give, in the order docs and messages list them. */
export const NETWORK_PROFILE_NAMES = ['4g', '3g', 'satellite', 'wifi', 'high-jitter', 'lossy'] as const;

export type NetworkProfileName = (typeof NETWORK_PROFILE_NAMES)[number];

export interface NamedNetworkProfile {
  /** what the peers send */
  uplink: LinkImpairment;
  /** what the peers receive */
  downlink: LinkImpairment;
}

const link = (values: Partial<LinkImpairment>): LinkImpairment => ({
  delayMs: 0,
  jitterMs: 0,
  lossPct: 0,
  burstLossPackets: 0,
  rateKbps: 0,
  ...values,
});

const both = (values: Partial<LinkImpairment>): NamedNetworkProfile => ({
  uplink: link(values),
  downlink: link(values),
});

export const NETWORK_PROFILES: Readonly<Record<NetworkProfileName, NamedNetworkProfile>> = {
  // LTE access as operators and speed-test services report it: 30-50 ms, 5-15 ms of jitter, loss well under 1%
  '4g': both({ delayMs: 45, jitterMs: 10, lossPct: 0.2 }),
  // HSPA-era mobile data: hundreds of ms, tens of ms of jitter, about 1 Mbps
  '3g': both({ delayMs: 250, jitterMs: 50, lossPct: 0.5, rateKbps: 1200 }),
  // a geostationary hop (240-280 ms of propagation each way alone) plus terminal and gateway queues, on an
  // entry-level plan: the one profile whose directions differ
  satellite: { uplink: link({ delayMs: 600, rateKbps: 256 }), downlink: link({ delayMs: 600, rateKbps: 1000 }) },
  // a shared home or office Wi-Fi hop in front of a wired line
  wifi: both({ delayMs: 5, jitterMs: 3, lossPct: 0.1 }),
  // stress settings, not measured networks: delays spread from 20 to 140 ms; 5% lost in bursts of 3 on average
  'high-jitter': both({ delayMs: 80, jitterMs: 60 }),
  lossy: both({ delayMs: 30, jitterMs: 5, lossPct: 5, burstLossPackets: 3 }),
};

export function isNetworkProfileName(name: unknown): name is NetworkProfileName {
  return typeof name === 'string' && (NETWORK_PROFILE_NAMES as readonly string[]).includes(name);
}
