import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { iceUrlProblem } from '../../../src/scenario/validate-target-network.js';
import { problemsOf } from '../../fixtures/scenario.js';

const PEERS = `peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 1 }
`;

const external = (extra: string): string => `name: net
duration: 2s
target:
  whip: https://sfu.example.test/whip/{room}
  whep: https://sfu.example.test/whep/{room}
${extra}${PEERS}`;

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('target network keys', () => {
  it('takes iceServers, relay, a CA file and bindAddress', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassbench-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, PEM);
    const scenario = scenarioFromText(
      external(`  ca: ${ca}
  iceServers:
    - { urls: stun:stun.example.test:3478 }
    - { urls: [turn:turn.example.test:3478?transport=udp, turns:turn.example.test], username: u, credential: p }
  iceTransportPolicy: relay
bindAddress: 0.0.0.0
`),
      'x.yaml',
    );
    expect(scenario.target).toMatchObject({
      type: 'external',
      ca,
      iceTransportPolicy: 'relay',
      iceServers: [
        { urls: 'stun:stun.example.test:3478' },
        {
          urls: ['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test'],
          username: 'u',
          credential: 'p',
        },
      ],
    });
    expect(scenario.bindAddress).toBe('0.0.0.0');
  });

  it('names file:line:col and path of every bad value', () => {
    const problems = problemsOf(
      external(`  ca: /nonexistent/ca.pem
  iceServers:
    - { urls: http://stun.example.test }
    - { urls: turn:turn.example.test }
    - { urls: [], user: x }
  iceTransportPolicy: relayed
bindAddress: sfu.local
`),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^x\.yaml:6:7 target\.ca: cannot read \/nonexistent\/ca\.pem/),
      'x.yaml:8:15 target.iceServers[0].urls: must be a stun:, turn: or turns: URL like turn:host:3478?transport=udp, got "http://stun.example.test"',
      'x.yaml:9:7 target.iceServers[1]: a turn: or turns: server needs username and credential',
      'x.yaml:10:15 target.iceServers[2].urls: must be a URL or a non-empty list of URLs, got []',
      'x.yaml:10:19 target.iceServers[2].user: unknown key (known here: urls, username, credential)',
      'x.yaml:11:23 target.iceTransportPolicy: must be one of "all", "relay", got "relayed"',
      'x.yaml:12:14 bindAddress: must be an IPv4 address (0.0.0.0 for every interface), got "sfu.local"',
    ]);
  });

  it('refuses relay without a TURN server, a CA that is no certificate, and bindAddress off loopback for the reference SFU', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassbench-ca-'));
    const notPem = join(dir, 'key.txt');
    writeFileSync(notPem, 'hello');
    expect(
      problemsOf(
        external(`  ca: ${notPem}
  iceServers: [{ urls: stun:stun.example.test }]
  iceTransportPolicy: relay
`),
      ),
    ).toEqual([
      expect.stringMatching(/target\.ca: .*key\.txt holds no PEM certificate$/),
      expect.stringMatching(/target\.iceTransportPolicy: relay needs a turn: or turns: server in target\.iceServers$/),
    ]);
    expect(problemsOf(`name: ref\nduration: 2s\nbindAddress: 10.0.0.5\n${PEERS}`)).toEqual([
      'x.yaml:3:14 bindAddress: the built-in reference SFU listens on loopback: leave bindAddress out',
    ]);
  });

  it('checks ICE URLs as RFC 7064/7065 write them', () => {
    expect(iceUrlProblem('stun:10.0.0.1')).toBeUndefined();
    expect(iceUrlProblem('turn:[::1]:3478?transport=tcp')).toBeUndefined();
    expect(iceUrlProblem('stun:host?transport=udp')).toBe('a stun: URL takes no ?transport');
    expect(iceUrlProblem('turn:host:70000')).toBe('port must be 1-65535, got 70000');
    expect(iceUrlProblem('turn://host')).toMatch(/must be a stun:, turn: or turns: URL/);
  });
});
