import { describe, expect, it } from 'vitest';

import { resolvePeerNetwork, routeAddressTo } from '../../../src/orchestrator/peer-network.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';

const PEERS = 'peers:\n  - { role: publisher, count: 1 }\n';
const target = (host: string, extra = ''): string =>
  `name: t\nduration: 2s\ntarget:\n  whip: "http://${host}:8080/whip/{room}"\n  whep: "http://${host}:8080/whep/{room}"\n${extra}${PEERS}`;

describe('resolvePeerNetwork', () => {
  it('binds to loopback for the built-in reference SFU and for loopback targets', async () => {
    const reference = scenarioFromText(`name: r\nduration: 2s\n${PEERS}`, 'x.yaml');
    expect(await resolvePeerNetwork(reference)).toEqual({
      bindAddress: '127.0.0.1',
      iceServers: [],
      iceTransportPolicy: 'all',
    });
    expect((await resolvePeerNetwork(scenarioFromText(target('127.0.0.1'), 'x.yaml'))).bindAddress).toBe('127.0.0.1');
    expect((await resolvePeerNetwork(scenarioFromText(target('localhost'), 'x.yaml'))).bindAddress).toBe('127.0.0.1');
  });

  it("keeps the scenario's bind address and carries its ICE servers and policy", async () => {
    const scenario = scenarioFromText(
      target(
        '10.9.0.1',
        '  iceServers: [{ urls: "turn:10.9.0.3:3478", username: u, credential: p }]\n  iceTransportPolicy: relay\nbindAddress: 10.9.0.2\n',
      ),
      'x.yaml',
    );
    expect(await resolvePeerNetwork(scenario)).toEqual({
      bindAddress: '10.9.0.2',
      iceServers: [{ urls: 'turn:10.9.0.3:3478', username: 'u', credential: 'p' }],
      iceTransportPolicy: 'relay',
    });
  });

  it('finds the route address without sending anything (loopback here)', async () => {
    expect(await routeAddressTo('127.0.0.1', 9)).toBe('127.0.0.1');
  });
});
