/**
 * The scenario's clock keys: `target.telemetry` (the remote reference SFU's base URL, or false) and `clock.host`
 * (a time host); bad values are located errors, and a time host with the built-in SFU is refused.
 */
import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const PEERS = `peers:
  - { role: publisher, count: 1 }
`;

describe('scenario clock keys', () => {
  it('reads target.telemetry and clock.host', () => {
    const scenario = scenarioFromText(
      `name: c
duration: 2s
target: { whip: "http://10.0.0.1:8080/whip/{room}", whep: "http://10.0.0.1:8080/whep/{room}", telemetry: "http://10.0.0.1:8080" }
clock: { host: "http://10.0.0.1:8081" }
${PEERS}`,
      'x.yaml',
    );
    expect(scenario.target).toMatchObject({ type: 'external', telemetry: 'http://10.0.0.1:8080' });
    expect(scenario.clock).toEqual({ hostUrl: 'http://10.0.0.1:8081' });
    const off = scenarioFromText(
      `name: c\nduration: 2s\ntarget: { whip: "http://h/whip", whep: "http://h/whep", telemetry: false }\n${PEERS}`,
    );
    expect(off.target).toMatchObject({ telemetry: false });
    expect(off.clock).toBeUndefined();
  });

  it('locates a bad telemetry value, a bad time host and a time host beside the built-in SFU', () => {
    expect(
      problemsOf(`name: c
duration: 2s
target: { whip: "http://h/whip", whep: "http://h/whep", telemetry: 3 }
clock: { host: "udp://h" }
${PEERS}`),
    ).toEqual([
      `x.yaml:3:68 target.telemetry: must be the SFU's http(s) base URL or false, got 3`,
      'x.yaml:4:16 clock.host: must match pattern "^https?://[^\\s]+$", got "udp://h"',
    ]);
    expect(problemsOf(`name: c\nduration: 2s\nclock: { host: "http://h:8081" }\n${PEERS}`)).toEqual([
      "x.yaml:3:16 clock.host: the built-in SFU shares this host's clock: a time host applies to an external target",
    ]);
  });
});
