import { availableParallelism } from 'node:os';

import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const VALID = `name: ok
duration: 5s
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 2 }
`;
const EXTERNAL = `target: { whip: "http://127.0.0.1:9/whip/{room}", whep: "http://127.0.0.1:9/whep/{room}" }\n`;
const CLOUD_AI = `ai: { stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ] }\n`;

describe('sfu.workers and sfu.subscribersPerWorker', () => {
  it("default to this machine's cores and 100 subscribers per worker for the reference SFU", () => {
    expect(scenarioFromText(VALID, 'x.yaml').sfu).toMatchObject({
      workers: Math.max(1, availableParallelism()),
      subscribersPerWorker: 100,
    });
    expect(scenarioFromText(`${VALID}sfu: { workers: 3, subscribersPerWorker: 50 }\n`, 'x.yaml').sfu).toMatchObject({
      workers: 3,
      subscribersPerWorker: 50,
    });
  });

  it('default workers to 1 with a cloud AI hook, and to 1 for a target glassbench does not start', () => {
    expect(scenarioFromText(`${VALID}${CLOUD_AI}`, 'x.yaml').sfu.workers).toBe(1);
    expect(scenarioFromText(`${VALID}${EXTERNAL}`, 'x.yaml').sfu.workers).toBe(1);
    // an explicit 1 beside a cloud hook is what the hook needs
    expect(scenarioFromText(`${VALID}${CLOUD_AI}sfu: { workers: 1 }\n`, 'x.yaml').sfu.workers).toBe(1);
  });

  it('refuse more than one worker beside a cloud AI hook, at the key, saying why', () => {
    const problems = problemsOf(`${VALID}${CLOUD_AI}sfu: { workers: 2 }\n`);
    expect(problems).toEqual([
      expect.stringMatching(
        /^x\.yaml:\d+:\d+ sfu\.workers: must be 1 with a cloud AI hook: the hook's scheduler is one pool of devices per process.*got 2$/,
      ),
    ]);
  });

  it('refuse values out of range or not whole, naming the place', () => {
    for (const [text, reason] of [
      ['workers: 0', /sfu\.workers: .*>= 1/],
      ['workers: 65', /sfu\.workers: .*<= 64/],
      ['workers: 1.5', /sfu\.workers: .*integer/],
      ['subscribersPerWorker: 0', /sfu\.subscribersPerWorker: .*>= 1/],
      ['subscribersPerWorker: 10001', /sfu\.subscribersPerWorker: .*<= 10000/],
    ] as const) {
      const problems = problemsOf(`${VALID}sfu: { ${text} }\n`);
      expect(problems, text).toHaveLength(1);
      expect(problems[0], text).toMatch(/^x\.yaml:\d+:\d+ /);
      expect(problems[0], text).toMatch(reason);
    }
  });

  it('are kept to the reference SFU', () => {
    const problems = problemsOf(`${VALID}${EXTERNAL}sfu: { workers: 2, subscribersPerWorker: 10 }\n`);
    expect(problems).toEqual([
      expect.stringMatching(/sfu\.workers: only the reference SFU can run worker processes/),
      expect.stringMatching(/sfu\.subscribersPerWorker: only the reference SFU can spread a room over workers/),
    ]);
  });

  describe('in variants', () => {
    const variants = (lines: string): string => `${VALID}variants:\n${lines}`;
    const cloud = `ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ] }`;

    it('each variant reads its own block (workers compared side by side), with its own default', () => {
      const scenario = scenarioFromText(
        variants(
          `  - { name: one, sfu: { workers: 1 } }\n  - { name: two, sfu: { workers: 2 } }\n  - { name: ai, ${cloud} }\n`,
        ),
        'x.yaml',
      );
      expect(scenario.variants?.map((v) => [v.name, v.sfu.workers])).toEqual([
        ['one', 1],
        ['two', 2],
        ['ai', 1],
      ]);
    });

    it("refuse a variant's workers > 1 beside its cloud hook, at the variant", () => {
      const problems = problemsOf(variants(`  - { name: a }\n  - { name: b, ${cloud}, sfu: { workers: 2 } }\n`));
      expect(problems).toEqual([
        expect.stringMatching(/^x\.yaml:\d+:\d+ variants\[1\]\.sfu\.workers: must be 1 with a cloud AI hook/),
      ]);
    });

    it("refuse the scenario's workers > 1 when a variant without its own block brings a cloud hook", () => {
      const problems = problemsOf(`${variants(`  - { name: a }\n  - { name: b, ${cloud} }\n`)}sfu: { workers: 2 }\n`);
      expect(problems).toEqual([
        expect.stringMatching(/^x\.yaml:\d+:\d+ sfu\.workers: must be 1 with a cloud AI hook \(variant b has one\)/),
      ]);
    });

    it("keep a variant's reference-only keys to the reference SFU, as the scenario's", () => {
      const problems = problemsOf(
        `${VALID}${EXTERNAL}variants:\n  - { name: a, sfu: { addDelayMs: 5 } }\n  - { name: b, sfu: { workers: 2 } }\n`,
      );
      expect(problems).toEqual([
        expect.stringMatching(/variants\[0\]\.sfu\.addDelayMs: only the reference SFU can add delay/),
        expect.stringMatching(/variants\[1\]\.sfu\.workers: only the reference SFU/),
      ]);
    });
  });
});
