import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const PEERS = `peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 10 }
`;

describe('executor and network in scenario files', () => {
  it('ramping-peers: the stages give the duration; targets are subscribers within the topology', () => {
    const scenario = scenarioFromText(
      `name: r
rooms: 2
${PEERS}executor: { type: ramping-peers, startTarget: 2, stages: [ { duration: 10s, target: 20 }, { duration: 5s, target: 0 } ] }
`,
      'x.yaml',
    );
    expect(scenario.durationMs).toBe(15_000);
    expect(scenario.executor).toEqual({
      type: 'ramping-peers',
      startTarget: 2,
      steps: [
        { durationMs: 10_000, target: 20 },
        { durationMs: 5000, target: 0 },
      ],
    });
    expect(
      problemsOf(`name: r
${PEERS}executor: { type: ramping-peers, stages: [ { duration: 10s, target: 11 } ] }
`),
    ).toEqual([
      "x.yaml:5:69 executor.stages[0].target: is more subscribers than the topology has places (1 room(s) x 10 subscriber(s)): raise rooms or the subscriber groups' counts",
    ]);
    expect(
      problemsOf(`name: r
duration: 3s
${PEERS}executor: { type: ramping-peers, stages: [ { duration: 10s, target: 1 } ] }
`),
    ).toEqual([
      "x.yaml:2:11 duration: is 3000 ms but the executor's stages last 10000 ms: leave duration out (the stages give it)",
    ]);
  });

  it('arrival-rate: rate per time unit, a room per call, keys of other executors refused', () => {
    const scenario = scenarioFromText(
      `name: a
duration: 10s
${PEERS}executor: { type: arrival-rate, rate: 30, timeUnit: 1m, callDuration: 20s, maxCalls: 3 }
`,
      'x.yaml',
    );
    expect(scenario.executor).toEqual({
      type: 'arrival-rate',
      ratePerSecond: 0.5,
      callDurationMs: 20_000,
      maxCalls: 3,
    });
    expect(scenario.rooms).toBe(5);
    expect(
      problemsOf(`name: a
duration: 10s
${PEERS}executor: { type: arrival-rate, rate: 1, stages: [] }
`),
    ).toEqual([
      'x.yaml:6:11 executor: arrival-rate needs callDuration: how long each call lasts',
      'x.yaml:6:42 executor.stages: does not apply to arrival-rate (its keys: type, rate, timeUnit, callDuration, maxCalls)',
      'x.yaml:6:50 executor.stages: must NOT have fewer than 1 items, got []',
    ]);
  });

  it('network: top level for every group, a group overrides it; bad values are located', () => {
    const scenario = scenarioFromText(
      `name: n
duration: 5s
network: { uplink: { delay: 40ms, jitter: 5ms, loss: 0.5% } }
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 1, network: { downlink: { loss: 5, burstLoss: 3, rateKbps: 800 }, schedule: [ { at: 2s, downlink: { loss: 20% } } ] } }
`,
      'x.yaml',
    );
    expect(scenario.network?.uplink).toEqual({
      delayMs: 40,
      jitterMs: 5,
      lossPct: 0.5,
      burstLossPackets: 0,
      rateKbps: 0,
    });
    const own = scenario.peers[1]?.network;
    expect(own?.downlink).toEqual({ delayMs: 0, jitterMs: 0, lossPct: 5, burstLossPackets: 3, rateKbps: 800 });
    expect(own?.schedule[0]).toMatchObject({ atMs: 2000, downlink: { lossPct: 20 }, uplink: { lossPct: 0 } });
    expect(
      problemsOf(`name: n
duration: 5s
network: { uplink: { delay: 10ms, jitter: 20ms, loss: 120% }, sideways: {} }
target: { whip: "http://127.0.0.1:1/whip/{room}", whep: "http://127.0.0.1:1/whep/{room}" }
peers:
  - { role: publisher, count: 1 }
`),
    ).toEqual([
      'x.yaml:3:10 network: network impairment puts peers in namespaces that reach only the reference SFU: use target: reference',
      'x.yaml:3:43 network.uplink.jitter: must not exceed delay (10 ms): a packet cannot arrive before it was sent',
      'x.yaml:3:55 network.uplink.loss: must be a percentage from 0 to 100 like 5% or 0.5, got "120%"',
      'x.yaml:3:63 network.sideways: unknown key (known here: profile, uplink, downlink, schedule)',
    ]);
  });
});
