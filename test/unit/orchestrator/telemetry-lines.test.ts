/**
 * Telemetry lines as they come over the network: every record kind the reference SFU writes is taken as it is,
 * and 10,000 seeded generated and mutated lines are each either a record of a known kind whose fields have their
 * types, or refused with an Error that says what was expected: none throws anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseTelemetryLine } from '../../../src/orchestrator/telemetry-lines.js';
import { fuzzRuns, reportFuzz } from '../../fixtures/fuzz.js';

const GOOD = [
  { k: 'in', f: '1:5', pub: 'p1', ms: 1000.5 },
  { k: 'out', f: '1:5', sub: 's1', ms: 1001.2 },
  { k: 'res', ms: 1000, cpuPct: 12.5, rssMb: 80, loopDelayP99Ms: 1.1, loopDelayMaxMs: 3, worker: 1 },
  {
    k: 'worker',
    ms: 5,
    worker: 1,
    pid: 42,
    state: 'exited',
    reason: 'code 1',
    closed: { rooms: 1, publishers: 1, subscribers: 3 },
  },
  { k: 'worker', ms: 6, worker: 1, pid: 43, state: 'started', restarts: 1 },
  {
    k: 'ai',
    f: '1:5',
    pub: 'p1',
    readyMs: 1000,
    outcome: 'done',
    queueMs: 0.2,
    stages: { inference: 9.5 },
    hookMs: 10,
    device: 'gpu0',
    batch: 4,
    batchWaitMs: 2,
  },
  { k: 'ai', f: '1:6', pub: 'p1', readyMs: 1033, outcome: 'dropped', reason: 'queue full' },
  {
    k: 'dev',
    ms: 1000,
    devices: [
      { name: 'gpu0', utilisationPct: 40, queueLength: 0, calls: 30, gpuUtilisationPct: 35, memoryUsedMb: 900 },
    ],
  },
  {
    k: 'speech',
    pub: 'p1',
    n: 1,
    speechStartMs: 10,
    speechEndMs: 900,
    asrDoneMs: 950,
    text: 'hello',
    translation: 'hola',
  },
  { k: 'voice', pub: 'p1', n: 1, ms: 1200 },
  { k: 'event', ms: 7, message: 'external AI worker went away' },
];

const HOSTILE = [
  '',
  'null',
  '[]',
  '"in"',
  '{}',
  '{"k":"nope"}',
  '{"k":"__proto__"}',
  '{"k":"toString"}',
  '{"k":"in","f":"1:1","pub":"p","ms":"5"}',
  '{"k":"in","f":"1:1","pub":"p","ms":null}',
  '{"k":"dev","ms":1,"devices":"gpu0"}',
  '{"k":"dev","ms":1,"devices":[null]}',
  '{"k":"ai","f":"1:1","pub":"p","readyMs":1,"outcome":"done","stages":{"x":"slow"}}',
  '{"k":"ai","f":"1:1","pub":"p","readyMs":1,"outcome":"exploded"}',
  '{"k":"worker","ms":1,"worker":0,"pid":1,"state":"exited","closed":{"rooms":"all"}}',
  `{"k":"event","ms":1,"message":"${'x'.repeat(100_000)}"}`,
  '{"k":"in","f":"1:1","pub":"p","ms":1e400}',
  '\u0000\u0001',
];

const tally = { accepted: 0, refused: 0 };

/** A record of a known kind, or an Error naming what was expected. */
function check(line: string): void {
  let record: ReturnType<typeof parseTelemetryLine>;
  try {
    record = parseTelemetryLine(line);
  } catch (error) {
    expect(error, line.slice(0, 200)).toBeInstanceOf(Error);
    expect((error as Error).message, line.slice(0, 200)).toMatch(
      /^(not JSON|not a JSON object|k: expected|\w+ record: )/,
    );
    tally.refused += 1;
    return;
  }
  tally.accepted += 1;
  if (record === 'hello') return;
  expect(GOOD.map((g) => g.k)).toContain(record.k);
}

describe('parseTelemetryLine', () => {
  it('takes every kind of record the reference SFU writes, and the hello line', () => {
    expect(parseTelemetryLine('{"k":"hello"}')).toBe('hello');
    for (const record of GOOD) expect(parseTelemetryLine(JSON.stringify(record))).toEqual(record);
  });

  it('refuses hostile lines with what it expected', () => {
    for (const line of HOSTILE) expect(() => parseTelemetryLine(line), line.slice(0, 80)).toThrow(Error);
    expect(() => parseTelemetryLine('{"k":"in","f":"1:1","pub":"p","ms":"5"}')).toThrow(
      'in record: ms: expected a finite number',
    );
    expect(() => parseTelemetryLine('{"k":"dev","ms":1,"devices":[{"name":"g"}]}')).toThrow(
      'dev record: devices[0].utilisationPct: expected a finite number',
    );
    expect(() => parseTelemetryLine('{"k":"nope"}')).toThrow('k: expected one of hello, in, out, res');
  });

  it('answers 10,000 (GLASSBENCH_FUZZ_RUNS) seeded generated and mutated lines with a record or a refusal, never anything else', () => {
    const good = GOOD.map((g) => JSON.stringify(g));
    const mutated = fc
      .tuple(fc.constantFrom(...good), fc.nat(), fc.nat(4), fc.string({ maxLength: 8 }))
      .map(([line, at, cut, text]) => {
        const i = at % line.length;
        return line.slice(0, i) + text + line.slice(i + cut);
      });
    const retyped = fc
      .tuple(fc.constantFrom(...GOOD), fc.nat(), fc.jsonValue({ maxDepth: 2 }))
      .map(([record, at, value]) => {
        const keys = Object.keys(record);
        return JSON.stringify({ ...record, [keys[at % keys.length] as string]: value });
      });
    const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.oneof(mutated, retyped, json, fc.string({ maxLength: 200 })), (line) => check(line)),
      { seed: 2212, numRuns: fuzzRuns(10_000) },
    );
    reportFuzz('telemetry lines', {
      lines: tally.accepted + tally.refused,
      accepted: tally.accepted,
      refused: tally.refused,
    });
    expect(tally.accepted + tally.refused).toBeGreaterThanOrEqual(fuzzRuns(10_000));
    expect(tally.refused).toBeGreaterThan(0.5 * fuzzRuns(10_000));
  });
});
