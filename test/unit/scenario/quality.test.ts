/**
 * Picture quality in a scenario: a subscriber group's `quality: { sampleEvery: N }` (validated where it
 * enters), `video.texture`, and what each subscriber is told to score against (quality-spec.ts): the pattern
 * through the room's AI filter when the AI's output is received, a noise filter's reference unfiltered.
 */
import { describe, expect, it } from 'vitest';

import { planPeers } from '../../../src/orchestrator/plan.js';
import { subscriberQuality } from '../../../src/orchestrator/quality-spec.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const text = (peers: string, ai = ''): string => `name: q
duration: 2s
peers:
${peers}
${ai}`;

const ENCODED = '  - { role: publisher, count: 1, video: { source: encoded, texture: true } }\n';

describe('scenario quality', () => {
  it('reads quality.sampleEvery on a synthetic subscriber group and video.texture; default off', () => {
    const scenario = scenarioFromText(
      text(
        `${ENCODED}  - { role: subscriber, count: 1, quality: { sampleEvery: 3 } }\n  - { role: subscriber, count: 1 }`,
      ),
    );
    expect(scenario.peers[0]?.video.texture).toBe(true);
    expect(scenario.peers[1]?.quality).toEqual({ sampleEvery: 3 });
    expect(scenario.peers[2]?.quality).toBeUndefined();
    const planned = planPeers(scenario);
    const sampled = planned.find((p) => p.peerId === 'r1-sub2-1');
    const plain = planned.find((p) => p.peerId === 'r1-sub3-1');
    expect(sampled && subscriberQuality(scenario, sampled)).toEqual({ filter: 'copy', sampleEvery: 3 });
    expect(plain && subscriberQuality(scenario, plain)).toEqual({ filter: 'copy' });
  });

  it('reads quality.sampleEvery on a browser subscriber group too; without it a browser scores every frame', () => {
    const scenario = scenarioFromText(
      text(
        `${ENCODED}  - { role: subscriber, kind: browser, count: 1, quality: { sampleEvery: 30 } }\n  - { role: subscriber, kind: browser, count: 1 }`,
      ),
    );
    expect(scenario.peers[1]?.quality).toEqual({ sampleEvery: 30 });
    const planned = planPeers(scenario);
    const sampled = planned.find((p) => p.peerId === 'r1-sub2-1');
    const every = planned.find((p) => p.peerId === 'r1-sub3-1');
    expect(sampled && subscriberQuality(scenario, sampled)).toEqual({ filter: 'copy', sampleEvery: 30 });
    // the page scores every frame when sampleEvery is absent (browser-peers.ts passes 1)
    expect(every && subscriberQuality(scenario, every)).toEqual({ filter: 'copy' });
  });

  it('refuses a bad sampleEvery, quality on publishers, and quality with no known pictures', () => {
    expect(problemsOf(text(`${ENCODED}  - { role: subscriber, count: 1, quality: { sampleEvery: 0 } }`))).toEqual([
      expect.stringMatching(/^x\.yaml:\d+:\d+ peers\[1\]\.quality\.sampleEvery: /),
    ]);
    expect(
      problemsOf(
        text(
          `${ENCODED}  - { role: subscriber, count: 1 }\n  - { role: publisher, count: 1, quality: { sampleEvery: 2 } }`,
        ),
      ),
    ).toEqual([expect.stringMatching(/^x\.yaml:\d+:\d+ peers\[2\]\.quality: is for subscriber groups/)]);
    expect(
      problemsOf(
        text('  - { role: publisher, count: 1 }\n  - { role: subscriber, count: 1, quality: { sampleEvery: 2 } }'),
      ),
    ).toEqual([expect.stringMatching(/peers\[1\]\.quality: needs a publisher whose pictures are known/)]);
    expect(problemsOf(text(`${ENCODED}  - { role: subscriber, count: 1, quality: { every: 2 } }`))).toContainEqual(
      expect.stringMatching(/^x\.yaml:\d+:\d+ peers\[1\]\.quality/),
    );
  });

  it("scores against the room's AI filter when the AI's output is received; noise against the unfiltered pattern", () => {
    const ai = (filter: string, mode = 'inline'): string => `ai:
  placement: cloud
  mode: ${mode}
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: ${filter} } }
    - { name: encode, model: { vp8: {} } }
`;
    const filterOf = (aiText: string): string => {
      const scenario = scenarioFromText(text(`${ENCODED}  - { role: subscriber, count: 1 }`, aiText));
      const sub = planPeers(scenario).find((p) => p.role === 'subscriber');
      if (!sub) throw new Error('no subscriber');
      return subscriberQuality(scenario, sub).filter;
    };
    expect(filterOf(ai('blur'))).toBe('blur');
    expect(filterOf(ai('edges'))).toBe('edges');
    expect(filterOf(ai('noise'))).toBe('copy');
    expect(filterOf(ai('blur', 'tap'))).toBe('copy');
    expect(filterOf('')).toBe('copy');
  });
});
