/** The peers a scenario asks for, named and placed on runners. Pure and deterministic. */
import type { Scenario, VideoOptions } from '../scenario/types.js';

export interface PlannedPeer {
  peerId: string;
  room: string;
  role: 'publisher' | 'subscriber';
  kind: 'synthetic' | 'browser';
  /** index of the peer runner that hosts it */
  runner: number;
  /** publishers only: the tag carried in every frame id */
  publisherTag?: number;
  video: VideoOptions;
  audio?: { intervalMs: number };
  /**
   * browser publishers with a synthetic subscriber in their room, or behind the AI hook: the page learns
   * each frame's RTP timestamp (by decoding its own stream), since synthetic receivers cannot read the pixel
   * marker and frames the hook drops reach no receiver that could
   */
  identifyRtp?: boolean;
}

export function roomIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `r${i + 1}`);
}

export function planPeers(scenario: Scenario): PlannedPeer[] {
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
        if (group.role === 'publisher') peer.publisherTag = ++tag;
        if (group.audio) peer.audio = group.audio;
        peers.push(peer);
      }
    }
    // synthetic receivers cannot read the marker; the AI hook may drop frames no receiver ever names
    const syntheticSubscribers = scenario.peers.some((g) => g.role === 'subscriber' && g.kind === 'synthetic') || scenario.ai.placement === 'cloud';
    if (syntheticSubscribers) for (const peer of peers) if (peer.room === room && peer.role === 'publisher' && peer.kind === 'browser') peer.identifyRtp = true;
  }
  return peers;
}

/** Replaces `{room}` in a target URL. */
export function roomUrl(template: string, room: string): string {
  return template.replaceAll('{room}', encodeURIComponent(room));
}
