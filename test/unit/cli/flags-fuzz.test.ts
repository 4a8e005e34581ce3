/**
 * CLI flags, fuzzed: 1,000 in the suite (10,000 nightly: GLASSBENCH_FUZZ_RUNS) seeded argument lists of real commands, real and misspelt
 * flags and hostile values. Each is parsed as `glassbench` parses it and, for `run`, `capacity` and `sfu`, checked
 * as those commands check their flags before they start anything: it is taken, or refused with an error that
 * exits 104 and names what is wrong. Nothing throws anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { cli } from '../../../src/cli/parser.js';
import { checkRunFlags, type RunArgs } from '../../../src/cli/run-command.js';
import { checkSfuFlags, type SfuArgs } from '../../../src/cli/sfu-command.js';
import { GlassbenchError } from '../../../src/errors.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';
import { fuzzRuns, reportFuzz } from '../../fixtures/fuzz.js';

const SCENARIOS = [
  scenarioFromText('name: ref\nduration: 2s\npeers: [{ role: publisher, count: 1 }]\n', 'ref.yaml'),
  scenarioFromText(
    'name: ext\nduration: 2s\ntarget: { whip: "http://10.0.0.1:8080/whip/{room}", whep: "http://10.0.0.1:8080/whep/{room}" }\npeers: [{ role: publisher, count: 1 }]\n',
    'ext.yaml',
  ),
];
const COMMANDS = ['run', 'run', 'capacity', 'sfu', 'sfu', 'compare', 'report', 'validate', 'clock', 'frobnicate'];
const FLAGS = [
  'out',
  'testid',
  'shard',
  'start-at',
  'tag',
  'ca',
  'bind',
  'summary-export',
  'influx-url',
  'influx-db',
  'influx-org',
  'influx-bucket',
  'influx-token',
  'start',
  'step',
  'max',
  'step-duration',
  'search',
  'host',
  'port',
  'announce',
  'udp-ports',
  'tls-cert',
  'tls-key',
  'token',
  'workers',
  'subscribers-per-worker',
  'add-delay-ms',
  'max-rooms',
  'tolerance',
  'gate',
  'push-influx',
  'influx',
  'variant',
  'baseline',
];
/** flags no command has: one in ten flags */
const MISSPELT = ['shrad', 'influx_url', '', 'out=', 'Out'];
const FLAG = fc.oneof(
  { arbitrary: fc.constantFrom(...FLAGS), weight: 9 },
  { arbitrary: fc.constantFrom(...MISSPELT), weight: 1 },
);
const VALUES = fc.oneof(
  fc.constantFrom(
    '1/2',
    '0/0',
    '3/2',
    '1/1001',
    '-1',
    '0',
    '1e400',
    'NaN',
    '',
    ' ',
    '127.0.0.1',
    '0.0.0.0',
    '::1',
    '10.0.0.999',
    'http://127.0.0.1:8086',
    'ftp://x',
    'http://',
    '2026-12-02T10:00:00Z',
    'tomorrow',
    '+30s',
    '40000-40100',
    '5-1',
    '70000-70001',
    'k=v',
    '=v',
    'k=',
    '/nonexistent/x.pem',
    '/etc',
    '/dev/null',
    '../../x',
    'step',
    'bisect',
    '\u0000',
    'x'.repeat(300),
    '--',
    '-x',
  ),
  fc.string({ maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String),
);
const RUN_FLAGS = FLAGS.slice(0, 13);
const PER_COMMAND: Record<string, string[]> = {
  run: RUN_FLAGS,
  capacity: [...RUN_FLAGS, 'start', 'step', 'max', 'step-duration', 'search'],
  sfu: FLAGS.slice(FLAGS.indexOf('host'), FLAGS.indexOf('max-rooms') + 1),
};
/** a command, its positional argument, its flags (nine in ten its own) with hostile values, now and then junk */
const ARGV = fc
  .constantFrom(...COMMANDS)
  .chain((command) =>
    fc.tuple(
      fc.constant(command),
      fc.option(fc.constantFrom('scenarios/smoke.yaml', 'x.yaml', 'a', ''), { nil: undefined, freq: 10 }),
      fc.array(
        fc.tuple(
          fc.oneof(
            { arbitrary: fc.constantFrom(...(PER_COMMAND[command] ?? FLAGS)), weight: 9 },
            { arbitrary: FLAG, weight: 1 },
          ),
          fc.option(VALUES, { nil: undefined }),
        ),
        { maxLength: 5 },
      ),
      fc.oneof(
        { arbitrary: fc.constant([]), weight: 9 },
        { arbitrary: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }), weight: 1 },
      ),
    ),
  )
  .map(([command, positional, flags, junk]) => [
    command,
    ...(positional === undefined ? [] : [positional]),
    ...flags.flatMap(([flag, value]) => (value === undefined ? [`--${flag}`] : [`--${flag}`, value])),
    ...junk,
  ]);

const tally = { argvs: 0, parsed: 0, refusedByParser: 0, taken: 0, refused: 0 };

/** Parse as main.ts does; then the checks run, capacity and sfu make before they start. */
async function check(argv: string[]): Promise<void> {
  tally.argvs += 1;
  let parsed: Record<string, unknown> & { _: (string | number)[] };
  try {
    parsed = (await cli(argv).parseAsync()) as typeof parsed;
  } catch (error) {
    // main.ts reports any parser error as INVALID_INPUT (exit 104) with its message
    expect(error, argv.join(' ')).toBeInstanceOf(Error);
    // a yargs refusal or one of ours: never a crash of the parser or of its checks
    for (const crash of [TypeError, RangeError, ReferenceError, SyntaxError])
      expect(error, `${argv.join(' ')}: ${String(error)}`).not.toBeInstanceOf(crash);
    expect((error as Error).message.length, argv.join(' ')).toBeGreaterThan(0);
    tally.refusedByParser += 1;
    return;
  }
  tally.parsed += 1;
  const command = String(parsed._[0]);
  try {
    if (command === 'run' || command === 'capacity')
      checkRunFlags(
        SCENARIOS[tally.argvs % 2] as (typeof SCENARIOS)[number],
        parsed as unknown as RunArgs,
        0,
        command === 'capacity',
      );
    else if (command === 'sfu') checkSfuFlags(parsed as unknown as SfuArgs);
    tally.taken += 1;
  } catch (error) {
    expect(error, `${argv.join(' ')}: ${String(error)}`).toBeInstanceOf(GlassbenchError);
    expect((error as GlassbenchError).code).toBe('INVALID_INPUT');
    expect((error as Error).message, argv.join(' ')).toMatch(/^--?[a-z]|^report\.summary-export|^[a-z-]+ /);
    tally.refused += 1;
  }
}

describe('CLI flags, fuzzed', () => {
  it('take or refuse, with what is wrong, 1,000 (GLASSBENCH_FUZZ_RUNS) seeded argument lists', async () => {
    await fc.assert(fc.asyncProperty(ARGV, check), { seed: 202612, numRuns: fuzzRuns(1000) });
    reportFuzz('CLI flags', tally);
    expect(tally.argvs).toBe(fuzzRuns(1000));
    expect(tally.refused + tally.refusedByParser).toBeGreaterThan(0);
    expect(tally.taken).toBeGreaterThan(0);
  }, 120_000);
});
