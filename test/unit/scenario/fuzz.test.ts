/**
 * Scenario fuzzing: thousands of generated, mutated and hostile scenario files. Each one either validates or
 * is refused with exit 104's error (INVALID_INPUT) whose every problem names file:line:col; none throws
 * anything else, none takes long. Seeded, so a failure repeats; the counts are printed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { GlassbenchError } from '../../../src/errors.js';
import { nowMs } from '../../../src/metrics/clock.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';
import { fuzzRuns, reportFuzz } from '../../fixtures/fuzz.js';

const LOCATED = /^fuzz\.yaml:\d+:\d+ \S/;
const tally = { generated: 0, mutated: 0, hostile: 0, valid: 0, refused: 0, slowestMs: 0 };

/** Validates one text; fails the test on anything but a scenario or a located INVALID_INPUT. */
function check(text: string): void {
  const started = nowMs();
  try {
    scenarioFromText(text, 'fuzz.yaml');
    tally.valid += 1;
  } catch (error) {
    if (!(error instanceof GlassbenchError) || error.code !== 'INVALID_INPUT') {
      throw new Error(
        `not a validation error (${(error as Error).name}: ${(error as Error).message}) for:\n${text.slice(0, 400)}`,
        { cause: error },
      );
    }
    expect(error.problems.length, text.slice(0, 200)).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem, text.slice(0, 200)).toMatch(LOCATED);
    tally.refused += 1;
  }
  tally.slowestMs = Math.max(tally.slowestMs, nowMs() - started);
}

const seeds = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join('scenarios', f), 'utf8'));
const KEYS = [
  'name',
  'duration',
  'target',
  'rooms',
  'runners',
  'peers',
  'role',
  'kind',
  'count',
  'video',
  'fps',
  'ai',
  'stages',
  'executor',
  'network',
  'thresholds',
  'variants',
  'warmup',
  'delay',
  'loss',
  'durasion',
  'colour',
  '__proto__',
  'constructor',
];
const weird = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(
    1e308,
    -1,
    0,
    2 ** 53 + 1,
    -0.0001,
    '10s',
    '-5s',
    '1e9h',
    '5%',
    '',
    'NaN',
    'Infinity',
    null,
    true,
    [],
    {},
  ),
  fc.string({ maxLength: 40 }),
  fc.double(),
);

describe('scenario fuzz', () => {
  it('generated documents: wrong types, missing and unknown keys, huge numbers', () => {
    const peer = fc.dictionary(fc.constantFrom('role', 'kind', 'count', 'video', 'audio', 'network', 'extra'), weird, {
      maxKeys: 6,
    });
    const doc = fc.record(
      {
        name: weird,
        duration: weird,
        rooms: weird,
        peers: fc.oneof(fc.array(peer, { maxLength: 4 }), weird),
        executor: fc.dictionary(
          fc.constantFrom('type', 'stages', 'rate', 'callDuration', 'maxCalls', 'startTarget'),
          weird,
          { maxKeys: 4 },
        ),
        network: fc.dictionary(
          fc.constantFrom('uplink', 'downlink', 'schedule', 'side'),
          fc.dictionary(fc.constantFrom('delay', 'jitter', 'loss', 'burstLoss', 'rateKbps', 'x'), weird),
          { maxKeys: 3 },
        ),
        ai: fc.dictionary(
          fc.constantFrom('placement', 'mode', 'stages', 'workers', 'queue', 'devices', 'speech', 'worker'),
          weird,
          { maxKeys: 4 },
        ),
        thresholds: fc.dictionary(fc.string({ maxLength: 20 }), weird, { maxKeys: 3 }),
        [`unknown`]: weird,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, fc.boolean(), (value, asJson) => {
        tally.generated += 1;
        check(asJson ? (JSON.stringify(value) ?? 'null') : stringify(value));
      }),
      { seed: 20261128, numRuns: fuzzRuns(2500) },
    );
  });

  it('mutated real scenarios: characters, lines, keys and numbers changed', () => {
    const mutation = fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      edits: fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
          fc.record({
            op: fc.constant('insert' as const),
            at: fc.nat(),
            text: fc.oneof(
              fc.string({ maxLength: 6 }),
              fc.constantFrom(':', '- ', '{', ']', '"', '\n  ', '&a ', '*a', '!!binary ', '? '),
            ),
          }),
          fc.record({
            op: fc.constant('number' as const),
            at: fc.nat(),
            text: fc.constantFrom('99999999999999999999', '-1', '0', '1e400', '0.0000001', '1.5'),
          }),
          fc.record({ op: fc.constant('key' as const), at: fc.nat(), text: fc.constantFrom(...KEYS) }),
          fc.record({ op: fc.constant('line' as const), at: fc.nat() }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        let text = seeds[seed] as string;
        for (const edit of edits) {
          const at = edit.at % Math.max(1, text.length);
          if (edit.op === 'delete') text = text.slice(0, at) + text.slice(at + edit.length);
          else if (edit.op === 'insert') text = text.slice(0, at) + edit.text + text.slice(at);
          else if (edit.op === 'number')
            text = text.replace(/\d+(\.\d+)?/g, (m, _f, offset: number) =>
              offset >= at && offset < at + 200 ? edit.text : m,
            );
          else if (edit.op === 'key')
            text = text.replace(/^(\s*(?:- )?)([A-Za-z]+):/m, (_m, lead: string) => `${lead}${edit.text}:`);
          else {
            const lines = text.split('\n');
            const i = at % lines.length;
            lines.splice(i, 0, lines[i] ?? '');
            text = lines.join('\n');
          }
        }
        tally.mutated += 1;
        check(text);
      }),
      { seed: 7, numRuns: fuzzRuns(2500) },
    );
  });

  it('hostile files: YAML bombs, deep nesting, huge and odd values', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
      'name: bomb',
    ].join('\n');
    const hostile = [
      bomb,
      `name: deep\nduration: 1s\npeers: ${'['.repeat(5000)}${']'.repeat(5000)}`,
      `name: deep\nduration: 1s\npeers:\n${Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i + 1)}- `).join('\n')}x`,
      `name: deep\nx: ${'{a: '.repeat(300)}1${'}'.repeat(300)}`,
      `name: big\nduration: 1e400s\npeers: [{ role: publisher, count: 1e400 }]`,
      `name: ${'x'.repeat(500_000)}\nduration: 1s\npeers: [{ role: publisher, count: 1 }]`,
      'x'.repeat(2 * 1024 * 1024),
      `name: dup\nname: dup\nduration: 1s\npeers: [{ role: publisher, count: 1 }]`,
      `name: proto\nduration: 1s\n__proto__: { polluted: true }\npeers: [{ role: publisher, count: 1, constructor: 1 }]`,
      `\u0000\u0001\uFFFF`,
      `!!js/function "function () { process.exit(1) }"`,
      `name: tags\nduration: !!float 1\npeers: !!map {}`,
      '[1, 2, 3]',
      '',
      '---\n---\n',
      `name: huge peers\nduration: 1s\nrooms: 10000\npeers: [{ role: publisher, count: 10000 }, { role: subscriber, count: 10000 }]`,
      `name: ramp\npeers: [{ role: publisher, count: 1 }, { role: subscriber, count: 1 }]\nexecutor: { type: ramping-peers, stages: [{ duration: 1s, target: 100000 }] }`,
      `name: rate\nduration: 1h\npeers: [{ role: publisher, count: 1 }]\nexecutor: { type: arrival-rate, rate: 1000, callDuration: 1s }`,
    ];
    for (const text of hostile) {
      tally.hostile += 1;
      check(text);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    reportFuzz('scenario documents', {
      generated: tally.generated,
      mutated: tally.mutated,
      hostile: tally.hostile,
      valid: tally.valid,
      'refused with located messages': tally.refused,
      'ms the slowest took': Math.round(tally.slowestMs),
    });
    // none hangs: the slowest single validation stays far below a second
    expect(tally.slowestMs).toBeLessThan(2000);
    expect(tally.refused).toBeGreaterThan(0.8 * (tally.generated + tally.mutated));
  });

  it('unknown keys say what was probably meant', () => {
    const problemsOf = (text: string): string[] => {
      try {
        scenarioFromText(text, 'fuzz.yaml');
      } catch (error) {
        return (error as GlassbenchError).problems;
      }
      return [];
    };
    expect(problemsOf('name: x\nduraton: 1s\npeers: [{ role: publisher, count: 1 }]')).toContain(
      'fuzz.yaml:2:1 duraton: unknown key (did you mean "duration"?)',
    );
    expect(problemsOf('name: x\nduration: 1s\npeers: [{ role: publisher, cuont: 1 }]')).toContain(
      'fuzz.yaml:3:28 peers[0].cuont: unknown key (did you mean "count"?)',
    );
    expect(
      problemsOf('name: x\nduration: 1s\npeers: [{ role: publisher, count: 1 }]\nnetwork: { uplink: { dealy: 5ms } }'),
    ).toContain('fuzz.yaml:4:22 network.uplink.dealy: unknown key (did you mean "delay"?)');
  });
});
