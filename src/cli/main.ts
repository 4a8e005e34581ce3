#!/usr/bin/env node
/**
 * glassbench CLI: its commands and flags, and the mapping of errors to exit codes (docs/outputs.md): 0 pass, 99 a
 * threshold failed, 104 invalid scenario or flags, 105 aborted, 107 run failed.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';

import { InfluxReader } from '../compare/influx-source.js';
import { describeError, GlassbenchError } from '../errors.js';
import { EXIT_CODES, exitCodeForError } from '../exit-codes.js';
import { glassbenchCommit, glassbenchVersion } from '../project-paths.js';
import { writeReport } from '../report/html.js';
import { rebuildFromInflux } from '../report/influx-rebuild.js';
import { k6SummaryText, readK6Summary } from '../report/k6-text.js';
import { parseDurationMs } from '../scenario/duration.js';
import { loadScenario } from '../scenario/validate.js';
import { pushPending } from '../sinks/influx-sink.js';
import { type ClockArgs, clockCommand } from './clock-command.js';
import { type CompareArgs, compareCommand } from './compare-command.js';
import { err, out } from './console.js';
import { type InfluxArgs, influxFrom } from './influx-args.js';
import { type CapacityArgs, checkTestid, makeRunId, type RunArgs, runCommand } from './run-command.js';
import { type SfuArgs, sfuCommand } from './sfu-command.js';

function reportError(error: unknown): number {
  if (error instanceof GlassbenchError && error.problems.length > 0) {
    err(`error: ${error.message}`);
    for (const problem of error.problems) err(`  ${problem}`);
  } else {
    err(`error: ${describeError(error)}`);
  }
  return exitCodeForError(error);
}

async function validateCommand(path: string): Promise<number> {
  const scenario = await loadScenario(path);
  const peers = scenario.peers.reduce((n, g) => n + g.count, 0) * scenario.rooms;
  out(
    `${path}: valid (${scenario.name}: ${scenario.rooms} room(s), ${peers} peer(s), ${scenario.durationMs} ms, ${scenario.thresholds.length} threshold(s))`,
  );
  return EXIT_CODES.ok;
}

const SUMMARY_EXPORT =
  "also write the results as k6's end-of-test summary JSON to this file, for k6's tools (report.summary-export)";

/** The InfluxDB flags of run, compare and report (checked in influx-args.ts). */
function influxOptions<T>(y: Argv<T>, purpose: string) {
  return y
    .option('influx-url', { type: 'string', describe: `InfluxDB URL ${purpose}, e.g. http://127.0.0.1:8086` })
    .option('influx-token', { type: 'string', describe: 'InfluxDB token (v2 API token)' })
    .option('influx-org', { type: 'string', describe: 'InfluxDB v2 organisation' })
    .option('influx-bucket', { type: 'string', describe: 'InfluxDB v2 bucket (reading: through its DBRP mapping)' })
    .option('influx-db', { type: 'string', describe: 'InfluxDB v1 database (for 1.x servers)' });
}

function versionText(): string {
  return `glassbench ${glassbenchVersion()} (commit ${glassbenchCommit()})`;
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
        })
        .option('start-at', {
          type: 'string',
          describe:
            'TIME (ISO 8601 with a zone, or Unix epoch ms): after the warm-up, start the measured hold at this instant (the same for every shard); a warm-up that ends later fails the run',
        })
        .option('ca', {
          type: 'string',
          describe: "PEM file of a private CA to trust for the target's https (target.ca)",
        })
        .option('bind', {
          type: 'string',
          describe: 'IPv4 address peers bind to (bindAddress; 0.0.0.0: every interface)',
        })
        .option('summary-export', { type: 'string', describe: SUMMARY_EXPORT }),
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
          })
          .option('ca', { type: 'string', describe: "PEM file of a private CA to trust for the target's https" })
          .option('bind', { type: 'string', describe: 'IPv4 address peers bind to (bindAddress)' })
          .option('summary-export', { type: 'string', describe: SUMMARY_EXPORT }),
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
        .option('host', {
          type: 'string',
          default: '127.0.0.1',
          describe:
            'IPv4 address to bind HTTP and media to (0.0.0.0: every interface; media answers where a request came in)',
        })
        .option('announce', {
          type: 'string',
          describe: 'IPv4 address to put in ICE candidates instead of the bound one (NAT, containers)',
        })
        .option('udp-ports', { type: 'string', describe: 'MIN-MAX: UDP ports media binds from (one per session)' })
        .option('tls-cert', { type: 'string', describe: 'PEM certificate chain: serve https (with --tls-key)' })
        .option('tls-key', { type: 'string', describe: 'PEM private key of --tls-cert' })
        .option('token', {
          type: 'string',
          describe: 'require this Bearer token on WHIP/WHEP, /metrics, /stats and /telemetry (never printed)',
        })
        .option('workers', {
          type: 'number',
          default: Math.max(1, availableParallelism()),
          describe:
            "worker processes: each owns the sessions of the rooms placed on it (default: this machine's cores)",
        })
        .option('subscribers-per-worker', {
          type: 'number',
          default: 100,
          describe: 'subscribers a worker takes of one room before the room spreads to another worker',
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
        .option('add-audio-delay-ms', {
          type: 'number',
          default: 0,
          describe: 'hold every forwarded audio packet this much longer (calibration of A/V sync)',
        })
        .option('burn-cpu-ms-per-frame', {
          type: 'number',
          default: 0,
          describe:
            'spend this much CPU on the event loop for every incoming video frame (calibration: an SFU that cannot keep up)',
        })
        .option('rewrite-rtp', {
          type: 'boolean',
          default: false,
          describe:
            'behave like an SFU that rewrites RTP: forwarded video loses the glassbench header extensions, its sequence numbers and timestamps are shifted per subscriber (calibration of frame identity)',
        }),
    )
    .command(
      'summary-text <file>',
      "print a k6 summary file (--summary-export, or k6's handleSummary JSON) as k6's text summary, for tools that read k6's console (k6-to-junit)",
      (y) => y.positional('file', { type: 'string', demandOption: true, describe: 'k6 summary JSON' }),
    )
    .command(
      'clock',
      'serve GET /clock alone: a time host beside an SFU glassbench did not write (scenario clock.host)',
      (y) =>
        y
          .option('port', { type: 'number', default: 8081, describe: 'HTTP port (0 picks a free one)' })
          .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to bind' }),
    )
    .demandCommand(1, 'name a command: run, capacity, compare, report, validate, summary-text, sfu or clock')
    .strict()
    .help()
    .version('version', 'print the version and the commit it was built from', versionText())
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
  if (parsed['help'] || parsed['h'] || parsed['version']) return EXIT_CODES.ok;
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
    if (command === 'clock') return await clockCommand(parsed as unknown as ClockArgs);
    if (command === 'summary-text') {
      const file = String(parsed['file']);
      out(k6SummaryText(await readK6Summary(file), file));
      return EXIT_CODES.ok;
    }
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
