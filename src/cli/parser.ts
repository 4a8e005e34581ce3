/**
 * The CLI's commands and flags (yargs): what `glassbench --help` lists. Parsing only: main.ts runs the command,
 * and a fuzz test drives this with hostile argument lists.
 */
import { availableParallelism } from 'node:os';

import yargs, { type Argv } from 'yargs';

import { GlassbenchError } from '../errors.js';
import { glassbenchCommit, glassbenchVersion } from '../project-paths.js';

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

/** the flags that may be given more than once (each adds one) */
const REPEATABLE = new Set(['tag', 'tolerance', 'gate', '_']);

/**
 * What every command's flags must be before the command checks their values: a flag that takes one value given
 * once (not a list where a string was expected), a number flag a number (yargs reads `--port abc` as NaN).
 */
function onceEach(argv: Record<string, unknown>): true {
  for (const [key, value] of Object.entries(argv)) {
    // yargs gives each kebab-case flag a camelCase twin too: the error names the flag as it was typed
    if (/[A-Z]/.test(key) || key === '_') continue;
    if (Array.isArray(value) && !REPEATABLE.has(key))
      throw new GlassbenchError('INVALID_INPUT', `--${key}: given more than once (it takes one value)`);
    if (typeof value === 'number' && Number.isNaN(value))
      throw new GlassbenchError('INVALID_INPUT', `--${key}: expected a number`);
  }
  return true;
}

export function cli(argv: string[]): Argv {
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
    .check(onceEach)
    .help()
    .version('version', 'print the version and the commit it was built from', versionText())
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new GlassbenchError('INVALID_INPUT', message);
    });
}
