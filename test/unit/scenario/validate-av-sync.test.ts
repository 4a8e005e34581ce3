/**
 * `audio: { sync: true }` (the A/V sync marker) and `sfu.addAudioDelayMs`: taken where they make sense, refused with
 * the place named where they cannot work.
 */
import { describe, expect, it } from 'vitest';

import { planPeers } from '../../../src/orchestrator/plan.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const SYNC = `name: sync
duration: 5s
peers:
  - { role: publisher, count: 1, audio: { sync: true } }
  - { role: subscriber, count: 2 }
`;

describe('audio: { sync: true }', () => {
  it('marks the publisher group and its planned publishers', () => {
    const scenario = scenarioFromText(SYNC, 'x.yaml');
    expect(scenario.peers[0]?.avSync).toBe(true);
    expect(scenario.peers[0]?.audio).toBeUndefined();
    expect(scenario.peers[1]?.avSync).toBeUndefined();
    expect(planPeers(scenario).map((p) => p.avSync)).toEqual([true, undefined, undefined]);
  });

  it('is refused on a subscriber group, beside spoken utterances and with a Janus target', () => {
    expect(
      problemsOf(
        `name: s\nduration: 5s\npeers:\n  - { role: publisher, count: 1 }\n  - { role: subscriber, count: 1, audio: { sync: true } }\n`,
      ),
    ).toEqual([expect.stringMatching(/^x\.yaml:\d+:\d+ peers\[1\]\.audio\.sync: .*publishers only/)]);
    expect(
      problemsOf(
        `name: s\nduration: 5s\npeers:\n  - { role: publisher, kind: browser, count: 1, audio: { utterances: true, sync: true } }\n  - { role: subscriber, count: 1 }\n`,
      ),
    ).toEqual([expect.stringMatching(/^x\.yaml:\d+:\d+ peers\[0\]\.audio\.sync: .*cannot share one audio track/)]);
    expect(problemsOf(`${SYNC}target: { janus: "http://127.0.0.1:9/janus", room: 1 }\n`)).toEqual([
      expect.stringMatching(/peers\[0\]\.audio\.sync: .*not Janus/),
    ]);
  });

  it('is refused above 60 fps (markers too close to tell apart) and beside the translation chain', () => {
    expect(
      problemsOf(
        `name: s\nduration: 5s\npeers:\n  - { role: publisher, count: 1, video: { fps: 120 }, audio: { sync: true } }\n  - { role: subscriber, count: 1 }\n`,
      ),
    ).toEqual([expect.stringMatching(/^x\.yaml:\d+:\d+ peers\[0\]\.video\.fps: .*at most 60 fps/)]);
    const translated = `name: s
duration: 5s
peers:
  - { role: publisher, kind: browser, count: 1, audio: { utterances: true } }
  - { role: publisher, count: 1, audio: { sync: true } }
  - { role: subscriber, count: 1 }
ai: { placement: cloud, speech: { asr: { synthetic: 200ms }, mt: { synthetic: 50ms }, tts: { synthetic: 30ms }, output: subtitles } }
`;
    expect(problemsOf(translated)).toEqual([
      expect.stringMatching(
        /^x\.yaml:\d+:\d+ peers\[1\]\.audio\.sync: the translation chain takes every publisher's audio/,
      ),
    ]);
  });
});

describe('sfu.addAudioDelayMs', () => {
  it('is absent by default, kept when set, and only for the reference SFU', () => {
    expect(scenarioFromText(SYNC, 'x.yaml').sfu.addAudioDelayMs).toBeUndefined();
    expect(scenarioFromText(`${SYNC}sfu: { addAudioDelayMs: 60 }\n`, 'x.yaml').sfu).toMatchObject({
      addDelayMs: 0,
      addAudioDelayMs: 60,
    });
    expect(
      problemsOf(
        `${SYNC}target: { whip: "http://127.0.0.1:9/whip/{room}", whep: "http://127.0.0.1:9/whep/{room}" }\nsfu: { addAudioDelayMs: 5 }\n`,
      ),
    ).toEqual([expect.stringMatching(/sfu\.addAudioDelayMs: only the reference SFU can add audio delay/)]);
    expect(problemsOf(`${SYNC}sfu: { addAudioDelayMs: -1 }\n`)[0]).toMatch(
      /^x\.yaml:\d+:\d+ sfu\.addAudioDelayMs: .*>= 0/,
    );
  });
});
