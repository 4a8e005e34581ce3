/** planRun / planPeers: which peers a scenario asks for, their names, tags and runners (pure, no processes). */
import { describe, expect, it } from 'vitest';

import { inShard, planPeers, planRun, roomIds, roomUrl } from '../../../src/orchestrator/plan.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';

const scenario = (body: string) => scenarioFromText(`name: plan\nduration: 1s\n${body}`, 'plan.yaml');

describe('planRun', () => {
  it('names every peer by room, role and number, tags publishers across rooms, and deals peers round-robin to runners', () => {
    const plan = planRun(
      scenario(`rooms: 2
runners: 3
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 3 }
`),
    );
    expect(plan.peers.map((p) => [p.peerId, p.room, p.role, p.runner])).toEqual([
      ['r1-pub-1', 'r1', 'publisher', 0],
      ['r1-sub-1', 'r1', 'subscriber', 1],
      ['r1-sub-2', 'r1', 'subscriber', 2],
      ['r1-sub-3', 'r1', 'subscriber', 0],
      ['r2-pub-1', 'r2', 'publisher', 1],
      ['r2-sub-1', 'r2', 'subscriber', 2],
      ['r2-sub-2', 'r2', 'subscriber', 0],
      ['r2-sub-3', 'r2', 'subscriber', 1],
    ]);
    expect(plan.peers.filter((p) => p.role === 'publisher').map((p) => p.publisherTag)).toEqual([1, 2]);
    expect(plan.peers.filter((p) => p.role === 'subscriber').every((p) => p.publisherTag === undefined)).toBe(true);
    expect(plan.runners).toEqual([{ index: 0 }, { index: 1 }, { index: 2 }]);
    expect(plan.links).toEqual([]);
    expect(plan.peers.every((p) => p.link === undefined && p.kind === 'synthetic')).toBe(true);
    // without a shard the run's peers are all its peers
    expect(plan.allPeers).toEqual(plan.peers);
  });

  it('numbers the groups in peer ids once there are more than two', () => {
    const plan = planRun(
      scenario(`peers:
  - { role: publisher, count: 1, video: { source: encoded } }
  - { role: subscriber, count: 2 }
  - { role: subscriber, count: 1, kind: browser }
`),
    );
    expect(plan.peers.map((p) => p.peerId)).toEqual(['r1-pub1-1', 'r1-sub2-1', 'r1-sub2-2', 'r1-sub3-1']);
    expect(plan.peers.map((p) => p.kind)).toEqual(['synthetic', 'synthetic', 'synthetic', 'browser']);
  });

  it('starts no more runners than there are peers, and by default one per 100 peers', () => {
    const few = planRun(
      scenario(`runners: 5
peers: [ { role: publisher, count: 1 }, { role: subscriber, count: 1 } ]
`),
    );
    expect(few.runners).toEqual([{ index: 0 }, { index: 1 }]);
    expect(few.peers.map((p) => p.runner)).toEqual([0, 1]);
    const many = planRun(scenario('peers: [ { role: publisher, count: 1 }, { role: subscriber, count: 150 } ]\n'));
    expect(many.runners).toEqual([{ index: 0 }, { index: 1 }]);
    expect(many.peers.filter((p) => p.runner === 0)).toHaveLength(76);
    expect(many.peers.filter((p) => p.runner === 1)).toHaveLength(75);
  });

  it('puts a group with its own network profile behind its own link and runner, after the plain runners', () => {
    const plan = planRun(
      scenario(`rooms: 2
runners: 2
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 2, network: { downlink: { delay: 40ms, loss: 2% } } }
  - { role: subscriber, count: 1 }
`),
    );
    expect(plan.links).toHaveLength(1);
    expect(plan.links[0]?.downlink).toMatchObject({ delayMs: 40, lossPct: 2 });
    expect(plan.runners).toEqual([{ index: 0 }, { index: 1 }, { index: 2, link: 0 }]);
    const impaired = plan.peers.filter((p) => p.link !== undefined);
    expect(impaired.map((p) => p.peerId)).toEqual(['r1-sub2-1', 'r1-sub2-2', 'r2-sub2-1', 'r2-sub2-2']);
    expect(impaired.every((p) => p.link === 0 && p.runner === 2)).toBe(true);
    // the others alternate over the plain runners, in plan order
    expect(plan.peers.filter((p) => p.link === undefined).map((p) => [p.peerId, p.runner])).toEqual([
      ['r1-pub1-1', 0],
      ['r1-sub3-1', 1],
      ['r2-pub1-1', 0],
      ['r2-sub3-1', 1],
    ]);
  });

  it('a shard keeps whole rooms of its own, and the peer names and tags of the whole run', () => {
    const whole = scenario(`rooms: 3
peers: [ { role: publisher, count: 2 }, { role: subscriber, count: 1 } ]
`);
    const plan = planRun(whole, { index: 2, count: 2 });
    expect(plan.peers.map((p) => p.peerId)).toEqual(['r2-pub-1', 'r2-pub-2', 'r2-sub-1']);
    expect(plan.peers.filter((p) => p.role === 'publisher').map((p) => p.publisherTag)).toEqual([3, 4]);
    expect(plan.allPeers).toHaveLength(9);
    expect(plan.runners).toEqual([{ index: 0 }]);
    expect(plan.peers.every((p) => p.runner === 0)).toBe(true);
    expect([1, 2, 3].filter((room) => inShard(room, undefined))).toEqual([1, 2, 3]);
    expect([1, 2, 3, 4, 5, 6, 7].filter((room) => inShard(room, { index: 1, count: 3 }))).toEqual([1, 4, 7]);
  });

  it('arrival-rate: plans a room per call the hold can start', () => {
    const plan = planRun(
      scenario(`executor: { type: arrival-rate, rate: 2, callDuration: 1s }
peers: [ { role: publisher, count: 1 }, { role: subscriber, count: 1 } ]
`),
    );
    expect([...new Set(plan.allPeers.map((p) => p.room))]).toEqual(['r1', 'r2']);
    expect(plan.allPeers.map((p) => p.peerId)).toEqual(['r1-pub-1', 'r1-sub-1', 'r2-pub-1', 'r2-sub-1']);
  });
});

describe('planPeers', () => {
  it('gives publishers their video and audio, and asks browser publishers for RTP identities where a receiver cannot read the marker', () => {
    const peers = planPeers(
      scenario(`peers:
  - { role: publisher, kind: browser, count: 1, video: { fps: 15, width: 320, height: 180 }, audio: { utterances: true, interval: 2s } }
  - { role: subscriber, count: 1 }
`),
    );
    expect(peers[0]).toMatchObject({
      peerId: 'r1-pub-1',
      kind: 'browser',
      publisherTag: 1,
      audio: { intervalMs: 2000 },
      identifyRtp: true,
    });
    expect(peers[0]?.video).toMatchObject({ fps: 15, width: 320, height: 180, bitrateKbps: 600 });
    expect(peers[1]?.identifyRtp).toBeUndefined();
    expect(peers[1]?.audio).toBeUndefined();
  });

  it('browser receivers read the marker themselves; the cloud AI hook asks for RTP identities all the same', () => {
    const browsersOnly = planPeers(
      scenario(
        'peers: [ { role: publisher, kind: browser, count: 1 }, { role: subscriber, kind: browser, count: 1 } ]\n',
      ),
    );
    expect(browsersOnly.map((p) => p.identifyRtp)).toEqual([undefined, undefined]);
    const withHook = planPeers(
      scenario(`peers: [ { role: publisher, kind: browser, count: 1 }, { role: subscriber, kind: browser, count: 1 } ]
ai: { stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ] }
`),
    );
    expect(withHook.map((p) => p.identifyRtp)).toEqual([true, undefined]);
  });
});

describe('room ids and URLs', () => {
  it('numbers rooms from r1 and puts the room, URL-encoded, in every {room}', () => {
    expect(roomIds(3)).toEqual(['r1', 'r2', 'r3']);
    expect(roomIds(0)).toEqual([]);
    expect(roomUrl('https://sfu.example/whip/{room}?room={room}', 'r2')).toBe('https://sfu.example/whip/r2?room=r2');
    expect(roomUrl('https://sfu.example/{room}', 'a b/c')).toBe('https://sfu.example/a%20b%2Fc');
  });
});
