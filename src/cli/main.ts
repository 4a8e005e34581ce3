#!/usr/bin/env node
/**
 * glassbench CLI. The only place that prints to the console and maps errors to exit codes (design.md
 * section 6): 0 pass, 99 a threshold failed, 104 invalid scenario or flags, 105 aborted, 107 run failed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';

import { ReferenceServer } from '../../reference-server/server.js';
import { InfluxReader } from '../compare/influx-source.js';
import { describeError, GlassbenchError } from '../errors.js';
import { EXIT_CODES, exitCodeForError } from '../exit-codes.js';
import { type CapacityOptions, runCapacity } from '../orchestrator/capacity.js';
import type { RunOptions, RunResult } from '../orchestrator/types.js';
import { runWithVariants } from '../orchestrator/variants.js';
import { writeReport } from '../report/html.js';
import { rebuildFromInflux } from '../report/influx-rebuild.js';
import { parseDurationMs } from '../scenario/duration.js';
import { loadScenario } from '../scenario/validate.js';
import { pushPending } from '../sinks/influx-sink.js';
import { type CompareArgs, compareCommand } from './compare-command.js';
import { capacityLine, progressLine, summaryTable } from './format.js';
import { type InfluxArgs, influxFrom } from './influx-args.js';

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const err = (text: string): void => void process.stderr.write(`${text}\n`);

function reportError(error: unknown): number {
  if (error instanceof GlassbenchError && error.problems.length > 0) {
    err(`error: ${error.message}`);
    for (const problem of error.problems) err(`  ${problem}`);
  } else {
    err(`error: ${describeError(error)}`);
  }
  return exitCodeForError(error);
}

function makeRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'run';
  return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
}

interface RunArgs extends InfluxArgs {
  scenario: string;
  out?: string;
  shard?: string;
  testid?: string;
}

interface CapacityArgs extends RunArgs {
  start: number;
  step: number;
  max: number;
  'step-duration'?: string;
  search: 'step' | 'bisect';
}

/** `--shard i/n` (1 <= i <= n <= 1000). */
function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || index < 1 || count < 1 || index > count || count > 1000) {
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--shard ${text}: expected i/n with 1 <= i <= n (e.g. 1/4; a Kubernetes Indexed Job passes $((JOB_COMPLETION_INDEX + 1))/N)`,
    );
  }
  return { index, count };
}

function checkTestid(testid: string | undefined): string | undefined {
  if (testid !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(testid))
    throw new GlassbenchError('INVALID_INPUT', `--testid ${testid}: 1-100 letters, digits, _ . or -`);
  return testid;
}

async function runCommand(args: RunArgs, capacity?: CapacityOptions): Promise<number> {
  const scenario = await loadScenario(args.scenario);
  const influx = influxFrom(args);
  const shard = parseShard(args.shard);
  const runId = checkTestid(args.testid) ?? makeRunId(capacity ? `${scenario.name}-capacity` : scenario.name);
  if (shard && !args.testid)
    throw new GlassbenchError(
      'INVALID_INPUT',
      '--shard needs --testid: every shard of a run writes under the same testid',
    );
  if (shard && scenario.variants)
    throw new GlassbenchError('INVALID_INPUT', '--shard: a scenario with variants cannot be sharded');
  const outDir = resolve(args.out ?? `reports/${runId}${shard ? `-shard-${shard.index}of${shard.count}` : ''}`);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      err('\ninterrupted: draining and writing a partial report (Ctrl-C again to quit at once)');
      controller.abort(new GlassbenchError('ABORTED', 'interrupted'));
    } else {
      process.exit(EXIT_CODES.aborted); // children exit when their IPC channel closes
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const tty = process.stderr.isTTY;
  let progressShown = false;
  out(
    `glassbench ${capacity ? 'capacity' : 'run'} ${scenario.name} (${args.scenario})${shard ? ` shard ${shard.index}/${shard.count} of testid ${runId}` : ''} -> ${outDir}`,
  );
  try {
    const start = (options: RunOptions): Promise<RunResult> =>
      capacity ? runCapacity(options, capacity) : runWithVariants(options);
    const result = await start({
      scenario,
      runId,
      outDir,
      signal: controller.signal,
      ...(influx ? { influx } : {}),
      ...(shard ? { shard } : {}),
      onEvent: (event) => {
        if (event.type === 'progress') {
          const line = progressLine(event);
          if (tty) process.stderr.write(`\r\x1b[2K${line}`);
          else err(line);
          progressShown = true;
          return;
        }
        if (progressShown && tty) process.stderr.write('\n');
        progressShown = false;
        if (event.type === 'phase') err(`[${event.phase}] ${event.message}`);
        else if (event.type === 'warning') err(`warning: ${event.message}`);
        else err(`peer failed: ${event.peer}: ${event.message}`);
      },
    });
    if (progressShown && tty) process.stderr.write('\n');
    const summary = result.summary;
    out('');
    out(summaryTable(summary));
    out('');
    if (summary.influx) {
      out(
        `influx: ${summary.influx.pointsWritten} points written to ${summary.influx.target}${summary.influx.pointsPending > 0 ? `, ${summary.influx.pointsPending} kept in ${summary.influx.pendingFile}` : ''}`,
      );
    }
    out(`status: ${summary.status}${summary.error ? ` (${summary.error.message})` : ''}`);
    if (summary.capacity) out(capacityLine(summary.capacity));
    out(
      summary.capacity
        ? `results: ${result.outDir}/summary.json, junit.xml, report.html; each step in ${result.outDir}/steps/`
        : summary.variants
          ? `results: ${result.outDir}/summary.json, junit.xml, report.html; each round in ${result.outDir}/variants/`
          : `results: ${result.outDir}/summary.json, frames.ndjson.gz, junit.xml, report.html`,
    );
    if (summary.status === 'failed') {
      const failing = Object.entries(summary.thresholds).flatMap(([key, list]) =>
        list.filter((r) => !r.ok).map((r) => `${key} ${r.expr}`),
      );
      err(`thresholds failed: ${failing.join(', ')}`);
    }
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

async function validateCommand(path: string): Promise<number> {
  const scenario = await loadScenario(path);
  const peers = scenario.peers.reduce((n, g) => n + g.count, 0) * scenario.rooms;
  out(
    `${path}: valid (${scenario.name}: ${scenario.rooms} room(s), ${peers} peer(s), ${scenario.durationMs} ms, ${scenario.thresholds.length} threshold(s))`,
  );
  return EXIT_CODES.ok;
}

type SfuArgs = {
  port: number;
  host: string;
  token?: string;
  'add-delay-ms': number;
  'burn-cpu-ms-per-frame': number;
  'max-rooms': number;
  'max-sessions-per-room': number;
  'max-pending': number;
  'max-setups-per-second': number;
  'idle-timeout-ms': number;
};

async function sfuCommand(args: SfuArgs): Promise<number> {
  for (const flag of [
    'max-rooms',
    'max-sessions-per-room',
    'max-pending',
    'max-setups-per-second',
    'idle-timeout-ms',
  ] as const) {
    if (!Number.isInteger(args[flag]) || args[flag] < 1)
      throw new GlassbenchError('INVALID_INPUT', `--${flag}: must be a whole number, 1 or more, got ${args[flag]}`);
  }
  const burn = args['burn-cpu-ms-per-frame'];
  if (!Number.isFinite(burn) || burn < 0 || burn > 1000)
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--burn-cpu-ms-per-frame: must be a number of ms from 0 to 1000, got ${burn}`,
    );
  if (args.host !== '127.0.0.1' && args.host !== '::1' && args.host !== 'localhost') {
    err(`note: binding to ${args.host}; ICE candidates are still loopback-only`);
  }
  const server = new ReferenceServer({
    addDelayMs: args['add-delay-ms'],
    burnCpuMsPerFrame: args['burn-cpu-ms-per-frame'],
    maxRooms: args['max-rooms'],
    maxSessionsPerRoom: args['max-sessions-per-room'],
    maxPendingSessions: args['max-pending'],
    maxSetupsPerSecond: args['max-setups-per-second'],
    idleTimeoutMs: args['idle-timeout-ms'],
    ...(args.token ? { token: args.token } : {}),
  });
  const port = await server.listen(args.port, args.host);
  out(`glassbench reference SFU listening on http://${args.host}:${port}`);
  out(`  WHIP: POST /whip/<room>   WHEP: POST /whep/<room>[?stream=<id>]   GET /metrics /healthz /stats /telemetry`);
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT_CODES.ok;
}

/** The InfluxDB flags of run, compare and report (checked in influx-args.ts). */
function influxOptions<T>(y: Argv<T>, purpose: string) {
  return y
    .option('influx-url', { type: 'string', describe: `InfluxDB URL ${purpose}, e.g. http://127.0.0.1:8086` })
    .option('influx-token', { type: 'string', describe: 'InfluxDB token (v2 API token)' })
    .option('influx-org', { type: 'string', describe: 'InfluxDB v2 organisation' })
    .option('influx-bucket', { type: 'string', describe: 'InfluxDB v2 bucket (reading: through its DBRP mapping)' })
    .option('influx-db', { type: 'string', describe: 'InfluxDB v1 database (for 1.x servers)' });
}

function cli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('glassbench')
    .usage('$0 <command> [options]')
    .command('run <scenario>', 'run a scenario and write reports/<run-id>/', (y) =>
      influxOptions(y, 'to write the run to')
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file (YAML or JSON)' })
        .option('out', { type: 'string', describe: 'write results to this directory instead of reports/<run-id>' })
        .option('tag', {
          type: 'string',
          array: true,
          describe: 'key=value tag on every InfluxDB point of the run (e.g. branch=main); repeatable',
        })
        .option('shard', {
          type: 'string',
          describe: 'i/n: run only shard i of n (whole rooms; needs --testid, the same for every shard)',
        })
        .option('testid', {
          type: 'string',
          describe: 'the run id and InfluxDB testid (default: made from the time and scenario name)',
        }),
    )
    .command(
      'capacity <scenario>',
      'raise the load (concurrent calls = rooms) step by step until a threshold fails; report the knee',
      (y) =>
        influxOptions(y, 'to write every step to')
          .positional('scenario', {
            type: 'string',
            demandOption: true,
            describe: 'scenario file: one room is one call; its thresholds are the budgets',
          })
          .option('out', { type: 'string', describe: 'write results to this directory instead of reports/<run-id>' })
          .option('start', { type: 'number', default: 1, describe: 'calls in the first step' })
          .option('step', { type: 'number', default: 1, describe: 'calls added per step (bisect: the resolution)' })
          .option('max', { type: 'number', default: 32, describe: 'most calls to try' })
          .option('step-duration', {
            type: 'string',
            describe: "measured time of each step (default: the scenario's duration)",
          })
          .option('search', {
            choices: ['step', 'bisect'] as const,
            default: 'step' as const,
            describe: 'step: +step until a failure; bisect: double, then halve the gap',
          })
          .option('tag', {
            type: 'string',
            array: true,
            describe: 'key=value tag on every InfluxDB point; repeatable',
          }),
    )
    .command(
      'compare <first> [second]',
      'compare <baseline> <candidate> (run directories or influx:<testid>), or --baseline <ref> <candidate>; exit 99 on a regression',
      (y) =>
        influxOptions(y, 'for influx: runs')
          .positional('first', {
            type: 'string',
            demandOption: true,
            describe: 'the baseline (a run directory or influx:<testid>), or with --baseline the candidate',
          })
          .positional('second', { type: 'string', describe: 'the candidate (a run directory or influx:<testid>)' })
          .option('baseline', {
            type: 'string',
            describe:
              'the baseline: a run directory, influx:<testid>, or influx:latest (the latest passing run of the same scenario)',
          })
          .option('out', {
            type: 'string',
            describe: 'write compare.md, compare.json and junit.xml here (default reports/compare-<time>)',
          })
          .option('tolerance', {
            type: 'string',
            array: true,
            describe:
              'metric=PCT%,ABS: a worsening smaller than either is not a regression (default 5%,5 for every metric); repeatable',
          })
          .option('tolerance-pct', {
            type: 'number',
            default: 5,
            describe: 'default relative tolerance, percent of the baseline',
          })
          .option('tolerance-abs', {
            type: 'number',
            default: 5,
            describe: "default absolute tolerance, in the metric's unit (ms)",
          })
          .option('variant', {
            type: 'string',
            describe: 'runs with variants: compare this variant (its rounds together)',
          })
          .option('gate', {
            type: 'string',
            array: true,
            describe: 'statistics whose worsening is a regression: p50 (default), p95, or p50,p95',
          })
          .option('allow-different-scenarios', {
            type: 'boolean',
            default: false,
            describe: 'compare runs of different scenarios (refused otherwise, exit 104)',
          })
          .option('tag', {
            type: 'string',
            array: true,
            describe: 'influx:latest only picks runs with this key=value tag (e.g. branch=main); repeatable',
          }),
    )
    .command(
      'report [run]',
      'write report.html of a run again: from its directory, or from InfluxDB (influx:<testid>, or --influx --testid X: every shard merged)',
      (y) =>
        influxOptions(y, 'for influx: runs')
          .positional('run', { type: 'string', describe: 'run directory (reports/<run-id>), or influx:<testid>' })
          .option('influx', { type: 'boolean', describe: 'rebuild from InfluxDB: with --testid' })
          .option('push-influx', {
            type: 'string',
            describe:
              "send a run's influx-pending.lp (points InfluxDB did not take during the run) to --influx-url ...",
          })
          .option('testid', { type: 'string', describe: 'with --influx: the run (all its shards) to rebuild' })
          .option('out', {
            type: 'string',
            describe: 'influx: runs: where to write (default reports/<testid>-from-influx)',
          }),
    )
    .command('validate <scenario>', 'check a scenario file and exit 0, or 104 listing every problem', (y) =>
      y.positional('scenario', { type: 'string', demandOption: true }),
    )
    .command('sfu', 'run the reference SFU on its own', (y) =>
      y
        .option('port', { type: 'number', default: 8080, describe: 'HTTP port (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to bind' })
        .option('token', {
          type: 'string',
          describe: 'require this Bearer token on WHIP/WHEP, /metrics, /stats and /telemetry (never printed)',
        })
        .option('max-rooms', { type: 'number', default: 1000, describe: 'rooms at once (503 beyond)' })
        .option('max-sessions-per-room', { type: 'number', default: 1000, describe: 'sessions per room (429 beyond)' })
        .option('max-pending', {
          type: 'number',
          default: 256,
          describe: 'sessions still connecting at once (503 beyond)',
        })
        .option('max-setups-per-second', {
          type: 'number',
          default: 500,
          describe: 'new sessions per second (429 beyond)',
        })
        .option('idle-timeout-ms', {
          type: 'number',
          default: 30000,
          describe: 'close a publisher that sends no media this long (its subscribers with it)',
        })
        .option('add-delay-ms', {
          type: 'number',
          default: 0,
          describe: 'hold every forwarded frame this long (calibration)',
        })
        .option('burn-cpu-ms-per-frame', {
          type: 'number',
          default: 0,
          describe:
            'spend this much CPU on the event loop for every incoming video frame (calibration: an SFU that cannot keep up)',
        }),
    )
    .demandCommand(1, 'name a command: run, capacity, compare, report, validate or sfu')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new GlassbenchError('INVALID_INPUT', message);
    });
}

async function main(): Promise<number> {
  const argv = hideBin(process.argv);
  let parsed: Record<string, unknown> & { _: (string | number)[] };
  try {
    parsed = (await cli(argv).parseAsync()) as typeof parsed;
  } catch (error) {
    if (error instanceof GlassbenchError) return reportError(error);
    return reportError(new GlassbenchError('INVALID_INPUT', describeError(error)));
  }
  if (parsed['help'] || parsed['h']) return EXIT_CODES.ok;
  const command = String(parsed._[0]);
  try {
    if (command === 'run') return await runCommand(parsed as unknown as RunArgs);
    if (command === 'capacity') {
      const a = parsed as unknown as CapacityArgs;
      const stepDurationMs = a['step-duration'] === undefined ? undefined : parseDurationMs(a['step-duration']);
      if (a['step-duration'] !== undefined && !(stepDurationMs && stepDurationMs > 0))
        throw new GlassbenchError(
          'INVALID_INPUT',
          `--step-duration ${a['step-duration']}: expected a duration like 10s`,
        );
      return await runCommand(a, {
        start: a.start,
        step: a.step,
        max: a.max,
        search: a.search,
        ...(stepDurationMs ? { stepDurationMs } : {}),
      });
    }
    if (command === 'validate') return await validateCommand(String(parsed['scenario']));
    if (command === 'report') {
      if (typeof parsed['push-influx'] === 'string') {
        const influx = influxFrom(parsed as InfluxArgs);
        if (!influx)
          throw new GlassbenchError(
            'INVALID_INPUT',
            '--push-influx needs --influx-url and --influx-db (or --influx-org and --influx-bucket)',
          );
        const file = join(resolve(parsed['push-influx']), 'influx-pending.lp');
        if (!existsSync(file))
          throw new GlassbenchError('INVALID_INPUT', `${file}: no points are pending for this run`);
        const { sent } = await pushPending(influx, file);
        out(`push-influx: ${sent} points sent to ${influx.url}; ${file} removed`);
        return EXIT_CODES.ok;
      }
      const testidFlag = checkTestid(typeof parsed['testid'] === 'string' ? parsed['testid'] : undefined);
      if (parsed['influx'] === true && !testidFlag)
        throw new GlassbenchError('INVALID_INPUT', 'report --influx needs --testid <testid>');
      if (parsed['run'] === undefined && !testidFlag)
        throw new GlassbenchError(
          'INVALID_INPUT',
          'report needs a run directory, influx:<testid>, or --influx --testid <testid>',
        );
      const run = testidFlag ? `influx:${testidFlag}` : String(parsed['run']);
      if (run.startsWith('influx:')) {
        const influx = influxFrom(parsed as InfluxArgs);
        if (!influx)
          throw new GlassbenchError(
            'INVALID_INPUT',
            'influx: runs need --influx-url and --influx-db (or --influx-org and --influx-bucket)',
          );
        const testid = run.slice('influx:'.length);
        const outDir = resolve(
          typeof parsed['out'] === 'string' ? parsed['out'] : join('reports', `${testid}-from-influx`),
        );
        out(`report: ${await rebuildFromInflux(new InfluxReader(influx), testid, outDir)}`);
      } else out(`report: ${await writeReport(resolve(run))}`);
      return EXIT_CODES.ok;
    }
    if (command === 'compare') return await compareCommand(parsed as unknown as CompareArgs, makeRunId, out, err);
    if (command === 'sfu') return await sfuCommand(parsed as unknown as SfuArgs);
    throw new GlassbenchError('INVALID_INPUT', `unknown command ${command}`);
  } catch (error) {
    return reportError(error);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(error);
  },
);
