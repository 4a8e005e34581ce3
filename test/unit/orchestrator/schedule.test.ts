import { describe, expect, it } from 'vitest';

import { inShard, planRun } from '../../../src/orchestrator/plan.js';
import { loadSteps, planCalls, rampTarget } from '../../../src/orchestrator/schedule.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';

describe('load schedule', () => {
  const ramp = {
    type: 'ramping-peers' as const,
    startTarget: 2,
    steps: [
      { durationMs: 10_000, target: 20 },
      { durationMs: 5000, target: 20 },
      { durationMs: 10_000, target: 2 },
    ],
  };

  it('ramps linearly within a stage and holds after the last', () => {
    expect([0, 5000, 9999, 10_000, 14_000, 20_000, 25_000, 60_000].map((t) => rampTarget(ramp, t))).toEqual([
      2, 11, 19, 20, 20, 11, 2, 2,
    ]);
    expect(loadSteps({ executor: ramp, durationMs: 25_000 }, 21).map((s) => [s.label, s.startMs, s.endMs])).toEqual([
      ['2 -> 20', 0, 10_000],
      ['hold 20', 10_000, 15_000],
      ['20 -> 2', 15_000, 25_000],
    ]);
  });

  it('arrival-rate: a call every 1/rate, dropped while maxCalls run, ending with the hold at the latest', () => {
    const { calls, droppedAtMs } = planCalls(
      { type: 'arrival-rate', ratePerSecond: 1, callDurationMs: 2500, maxCalls: 2 },
      6000,
    );
    expect(calls).toEqual([
      { room: 'r1', startMs: 0, endMs: 2500 },
      { room: 'r2', startMs: 1000, endMs: 3500 },
      { room: 'r3', startMs: 3000, endMs: 5500 },
      { room: 'r4', startMs: 4000, endMs: 6000 },
    ]);
    expect(droppedAtMs).toEqual([2000, 5000]);
  });

  it('shards take whole rooms, round-robin; peers behind a network profile get its runner', () => {
    expect([1, 2, 3, 4, 5].filter((room) => inShard(room, { index: 2, count: 2 }))).toEqual([2, 4]);
    const scenario = scenarioFromText(
      `name: s
duration: 1s
rooms: 3
network: { uplink: { delay: 10ms } }
peers:
  - { role: publisher, count: 1, video: { source: encoded } }
  - { role: subscriber, count: 2, network: { downlink: { loss: 1% } } }
  - { role: subscriber, count: 1, kind: browser }
`,
      'x.yaml',
    );
    const plan = planRun(scenario, { index: 1, count: 2 });
    expect([...new Set(plan.peers.map((p) => p.room))]).toEqual(['r1', 'r3']);
    expect(plan.allPeers).toHaveLength(12);
    expect(plan.links).toHaveLength(2);
    // the scenario's profile (publishers, browser subscribers) and the subscriber group's own
    expect(plan.runners).toEqual([
      { index: 0, link: 0 },
      { index: 1, link: 1 },
    ]);
    expect(
      plan.peers
        .filter((p) => p.role === 'subscriber' && p.kind === 'synthetic')
        .every((p) => p.runner === 1 && p.link === 1),
    ).toBe(true);
    expect(plan.peers.filter((p) => p.role === 'publisher').every((p) => p.runner === 0 && p.link === 0)).toBe(true);
    // publisher tags stay those of the whole run, so shards never collide
    expect(plan.peers.filter((p) => p.role === 'publisher').map((p) => p.publisherTag)).toEqual([1, 3]);
  });
});
