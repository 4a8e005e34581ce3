import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { janusRoomOf } from '../../../src/scenario/validate-janus.js';
import { problemsOf } from '../../fixtures/scenario.js';

const PEERS = `peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 2 }
`;
const scenario = (target: string, more = ''): string =>
  `name: j\nduration: 5s\nrooms: 3\ntarget: ${target}\n${more}${PEERS}`;

describe('target: { janus, room }', () => {
  it('reads a Janus target with its defaults', () => {
    const parsed = scenarioFromText(scenario('{ janus: "http://10.231.0.1:8088/janus/", room: 1234 }'), 'j.yaml');
    expect(parsed.target).toEqual({
      type: 'janus',
      url: 'http://10.231.0.1:8088/janus',
      room: 1234,
      createRooms: true,
    });
  });

  it('takes a token and createRooms: false', () => {
    const parsed = scenarioFromText(
      scenario('{ janus: "https://sfu.example/janus", room: 5, token: "t0k", createRooms: false }'),
      'j.yaml',
    );
    expect(parsed.target).toMatchObject({ token: 't0k', createRooms: false });
  });

  it('names file, line, column and key of each bad value', () => {
    const problems = problemsOf(scenario('{ janus: "ws://x/janus", room: 0, token: 3, createRooms: "yes", roomz: 2 }'));
    const text = problems.join('\n');
    expect(text).toMatch(/x\.yaml:4:\d+ target\.janus: must be the http\(s\) URL of the Janus API/);
    expect(text).toMatch(/x\.yaml:4:\d+ target\.room: must be a Janus room number \(an integer from 1\), got 0/);
    expect(text).toMatch(/target\.token: must be a string/);
    expect(text).toMatch(/target\.createRooms: must be true or false, got "yes"/);
    expect(text).toMatch(/target\.roomz: unknown key; a Janus target has janus, room, token, createRooms/);
  });

  it('refuses browser publishers, browser subscribers of filler frames, and the reference SFU knobs', () => {
    const text = problemsOf(
      `name: j\nduration: 5s\ntarget: { janus: "http://h/janus", room: 1 }\nsfu: { addDelayMs: 5 }\npeers:\n  - { role: publisher, count: 1, kind: browser }\n  - { role: publisher, count: 1 }\n  - { role: subscriber, count: 1, kind: browser }\n`,
    ).join('\n');
    expect(text).toMatch(/peers\[0\]\.kind: a Janus target takes synthetic publishers only/);
    expect(text).toMatch(/peers\[2\]\.kind: a browser subscriber needs every publisher to send video it can decode/);
    expect(text).toMatch(/sfu\.addDelayMs: only the reference SFU can add delay/);
  });

  it('takes browser subscribers of encoded publishers', () => {
    const parsed = scenarioFromText(
      `name: j\nduration: 5s\ntarget: { janus: "http://h/janus", room: 1 }\npeers:\n  - { role: publisher, count: 1, video: { source: encoded } }\n  - { role: subscriber, count: 1, kind: browser }\n`,
      'j.yaml',
    );
    expect(parsed.peers.map((g) => g.kind)).toEqual(['synthetic', 'browser']);
  });

  it('maps the scenario rooms r1..rN to Janus rooms room..room+N-1', () => {
    const target = { type: 'janus' as const, url: 'http://h/janus', room: 7100, createRooms: true };
    expect(['r1', 'r2', 'r3'].map((r) => janusRoomOf(target, r))).toEqual([7100, 7101, 7102]);
    expect(() => janusRoomOf(target, 'lobby')).toThrow(/not r<n>/);
  });
});
