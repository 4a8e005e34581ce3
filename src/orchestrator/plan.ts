/** The peers a scenario asks for, named and placed on runners. Pure and deterministic. */
import type { VideoOptions } from '../protocol/video.js';
import type { NetworkProfile, Scenario } from '../scenario/types.js';

export interface PlannedPeer {
  peerId: string;
  room: string;
  role: 'publisher' | 'subscriber';
  kind: 'synthetic' | 'browser';
  /** index of the peer runner that hosts it */
  runner: number;
  /** index of the impaired link (network namespace) its runner sits behind, if any */
  link?: number;
  /** publishers only: the tag carried in every frame id */
  publisherTag?: number;
  video: VideoOptions;
  audio?: { intervalMs: number };
  /** publishers: send the A/V sync marker on an audio track */
  avSync?: true;
  /**
   * browser publishers with a synthetic subscriber in their room, or behind the AI hook: the page learns
   * each frame's RTP timestamp (by decoding its own stream), since synthetic receivers cannot read the pixel
   * marker and frames the hook drops reach no receiver that could
   */
  identifyRtp?: boolean;
  /** synthetic subscribers: score every Nth frame (scenario `quality`) */
  quality?: { sampleEvery: number };
}

export function roomIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `r${i + 1}`);
}

/** A peer runner: a plain one, or one inside the network namespace of impaired link `link`. */
export interface PlannedRunner {
  index: number;
  link?: number;
}

export interface Plan {
  peers: PlannedPeer[];
  /** every peer of the whole run, all shards (the order ramps fill subscriber places in) */
  allPeers: PlannedPeer[];
  runners: PlannedRunner[];
  /** impaired links: one per distinct network profile (the scenario's, and each group's own) */
  links: NetworkProfile[];
}

/** The shard a run takes: i of n (1-based), or undefined for the whole run. */
export type Shard = { index: number; count: number } | undefined;

/** `--shard i/n`: whether room number `roomIndex` (1-based) belongs to shard i of n. Whole rooms go to one shard. */
export function inShard(roomIndex: number, shard: Shard): boolean {
  if (!shard) return true;
  return (roomIndex - 1) % shard.count === shard.index - 1;
}

/**
 * Every peer of the scenario, named, tagged, and placed on a runner: peers whose group has a network profile
 * (its own or the scenario's) go to the runner behind that profile's link, the others round-robin over the
 * plain runners. With a shard, only its rooms are kept (publisher tags stay those of the whole run).
 */
export function planRun(scenario: Scenario, shard?: Shard): Plan {
  const links: NetworkProfile[] = [];
  const linkOfGroup = scenario.peers.map((group) => {
    const profile = group.network ?? scenario.network;
    if (!profile) return undefined;
    const existing = links.indexOf(profile);
    return existing >= 0 ? existing : links.push(profile) - 1;
  });
  const all = planPeers(scenario, linkOfGroup);
  const rooms = roomIds(scenario.rooms);
  const peers = all.filter((p) => inShard(rooms.indexOf(p.room) + 1, shard));
  const plain = Math.min(scenario.runners, Math.max(0, peers.filter((p) => p.link === undefined).length));
  const runners: PlannedRunner[] = Array.from({ length: plain }, (_, index) => ({ index }));
  for (const [link] of links.entries())
    if (peers.some((p) => p.link === link)) runners.push({ index: runners.length, link });
  let next = 0;
  for (const peer of peers) {
    if (peer.link === undefined) peer.runner = next++ % Math.max(1, plain);
    else peer.runner = runners.find((r) => r.link === peer.link)?.index ?? 0;
  }
  return { peers, allPeers: all, runners, links };
}

export function planPeers(scenario: Scenario, linkOfGroup: (number | undefined)[] = []): PlannedPeer[] {
  const peers: PlannedPeer[] = [];
  let tag = 0;
  for (const room of roomIds(scenario.rooms)) {
    for (const [groupIndex, group] of scenario.peers.entries()) {
      for (let i = 1; i <= group.count; i += 1) {
        const short = group.role === 'publisher' ? 'pub' : 'sub';
        const peer: PlannedPeer = {
          peerId: `${room}-${short}${scenario.peers.length > 2 ? `${groupIndex + 1}-` : '-'}${i}`,
          room,
          role: group.role,
          kind: group.kind,
          runner: peers.length % scenario.runners,
          video: group.video,
        };
        const link = linkOfGroup[groupIndex];
        if (link !== undefined) peer.link = link;
        if (group.role === 'publisher') peer.publisherTag = ++tag;
        if (group.audio) peer.audio = group.audio;
        if (group.avSync && group.role === 'publisher') peer.avSync = true;
        if (group.quality) peer.quality = group.quality;
        peers.push(peer);
      }
    }
    // synthetic receivers cannot read the marker; the AI hook may drop frames no receiver ever names
    const syntheticSubscribers =
      scenario.peers.some((g) => g.role === 'subscriber' && g.kind === 'synthetic') ||
      scenario.ai.placement === 'cloud';
    if (syntheticSubscribers)
      for (const peer of peers)
        if (peer.room === room && peer.role === 'publisher' && peer.kind === 'browser') peer.identifyRtp = true;
  }
  return peers;
}

/** Replaces `{room}` in a target URL. */
export function roomUrl(template: string, room: string): string {
  return template.replaceAll('{room}', encodeURIComponent(room));
}
