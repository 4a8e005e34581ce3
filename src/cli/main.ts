#!/usr/bin/env node
/**
 * glassbench CLI. The only place that prints to the console and maps errors to exit codes (design.md
 * section 6): 0 pass, 99 a threshold failed, 104 invalid scenario or flags, 105 aborted, 107 run failed.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ReferenceServer } from '../../reference-server/server.js';
import { EXIT_CODES, GlassbenchError, describeError, exitCodeFor } from '../errors.js';
import { runWithVariants } from '../orchestrator/variants.js';
import { InfluxReader } from '../compare/influx-source.js';
import { writeReport } from '../report/html.js';
import { rebuildFromInflux } from '../report/influx-rebuild.js';
import { loadScenario } from '../scenario/validate.js';
import { progressLine, summaryTable } from './format.js';
import { compareCommand, type CompareArgs } from './compare-command.js';
import { influxFrom, type InfluxArgs } from './influx-args.js';

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const err = (text: string): void => void process.stderr.write(`${text}\n`);

function reportError(error: unknown): number {
  if (error instanceof GlassbenchError && error.problems.length > 0) {
    err(`error: ${error.message}`);
    for (const problem of error.problems) err(`  ${problem}`);
  } else {
    err(`error: ${describeError(error)}`);
  }
  return exitCodeFor(error);
}

function makeRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'run';
  return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
}

interface RunArgs extends InfluxArgs {
  scenario: string;
  out?: string;
}

async function runCommand(args: RunArgs): Promise<number> {
  const scenario = await loadScenario(args.scenario);
  const influx = influxFrom(args);
  const runId = makeRunId(scenario.name);
  const outDir = resolve(args.out ?? `reports/${runId}`);
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
  out(`glassbench run ${scenario.name} (${args.scenario}) -> ${outDir}`);
  try {
    const result = await runWithVariants({
      scenario,
      runId,
      outDir,
      signal: controller.signal,
      ...(influx ? { influx } : {}),
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
      out(`influx: ${summary.influx.pointsWritten} points written to ${summary.influx.target}${summary.influx.pointsPending > 0 ? `, ${summary.influx.pointsPending} kept in ${summary.influx.pendingFile}` : ''}`);
    }
    out(`status: ${summary.status}${summary.error ? ` (${summary.error.message})` : ''}`);
    out(summary.variants ? `results: ${result.outDir}/summary.json, junit.xml, report.html; each round in ${result.outDir}/variants/` : `results: ${result.outDir}/summary.json, frames.ndjson.gz, junit.xml, report.html`);
    if (summary.status === 'failed') {
      const failing = Object.entries(summary.thresholds).flatMap(([key, list]) => list.filter((r) => !r.ok).map((r) => `${key} ${r.expr}`));
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
  out(`${path}: valid (${scenario.name}: ${scenario.rooms} room(s), ${peers} peer(s), ${scenario.durationMs} ms, ${scenario.thresholds.length} threshold(s))`);
  return EXIT_CODES.ok;
}

async function sfuCommand(args: { port: number; host: string; token?: string; 'add-delay-ms': number }): Promise<number> {
  if (args.host !== '127.0.0.1' && args.host !== '::1' && args.host !== 'localhost') {
    err(`note: binding to ${args.host}; ICE candidates are still loopback-only`);
  }
  const server = new ReferenceServer({ addDelayMs: args['add-delay-ms'], ...(args.token ? { token: args.token } : {}) });
  const port = await server.listen(args.port, args.host);
  out(`glassbench reference SFU listening on http://${args.host}:${port}`);
  out(`  WHIP: POST /whip/<room>   WHEP: POST /whep/<room>[?stream=<id>]   GET /metrics /healthz /stats /stage-times`);
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
        .option('tag', { type: 'string', array: true, describe: 'key=value tag on every InfluxDB point of the run (e.g. branch=main); repeatable' }),
    )
    .command('compare <first> [second]', 'compare <baseline> <candidate> (run directories or influx:<testid>), or --baseline <ref> <candidate>; exit 99 on a regression', (y) =>
      influxOptions(y, 'for influx: runs')
        .positional('first', { type: 'string', demandOption: true, describe: 'the baseline (a run directory or influx:<testid>), or with --baseline the candidate' })
        .positional('second', { type: 'string', describe: 'the candidate (a run directory or influx:<testid>)' })
        .option('baseline', { type: 'string', describe: 'the baseline: a run directory, influx:<testid>, or influx:latest (the latest passing run of the same scenario)' })
        .option('out', { type: 'string', describe: 'write compare.md, compare.json and junit.xml here (default reports/compare-<time>)' })
        .option('tolerance', { type: 'string', array: true, describe: 'metric=PCT%,ABS: a worsening smaller than either is not a regression (default 5%,5 for every metric); repeatable' })
        .option('tolerance-pct', { type: 'number', default: 5, describe: 'default relative tolerance, percent of the baseline' })
        .option('tolerance-abs', { type: 'number', default: 5, describe: 'default absolute tolerance, in the metric\'s unit (ms)' })
        .option('variant', { type: 'string', describe: 'runs with variants: compare this variant (its rounds together)' })
        .option('gate', { type: 'string', array: true, describe: 'statistics whose worsening is a regression: p50 (default), p95, or p50,p95' })
        .option('allow-different-scenarios', { type: 'boolean', default: false, describe: 'compare runs of different scenarios (refused otherwise, exit 104)' })
        .option('tag', { type: 'string', array: true, describe: 'influx:latest only picks runs with this key=value tag (e.g. branch=main); repeatable' }),
    )
    .command('report <run>', 'write report.html of a run again: from its directory, or from InfluxDB (influx:<testid>)', (y) =>
      influxOptions(y, 'for influx: runs')
        .positional('run', { type: 'string', demandOption: true, describe: 'run directory (reports/<run-id>), or influx:<testid>' })
        .option('out', { type: 'string', describe: 'influx: runs: where to write (default reports/<testid>-from-influx)' }),
    )
    .command('validate <scenario>', 'check a scenario file and exit 0, or 104 listing every problem', (y) =>
      y.positional('scenario', { type: 'string', demandOption: true }),
    )
    .command('sfu', 'run the reference SFU on its own', (y) =>
      y
        .option('port', { type: 'number', default: 8080, describe: 'HTTP port (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to bind' })
        .option('token', { type: 'string', describe: 'require this Bearer token on WHIP/WHEP' })
        .option('add-delay-ms', { type: 'number', default: 0, describe: 'hold every forwarded frame this long (calibration)' }),
    )
    .demandCommand(1, 'name a command: run, compare, report, validate or sfu')
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
    if (command === 'validate') return await validateCommand(String(parsed['scenario']));
    if (command === 'report') {
      const run = String(parsed['run']);
      if (run.startsWith('influx:')) {
        const influx = influxFrom(parsed as InfluxArgs);
        if (!influx) throw new GlassbenchError('INVALID_INPUT', 'influx: runs need --influx-url and --influx-db (or --influx-org and --influx-bucket)');
        const testid = run.slice('influx:'.length);
        const outDir = resolve(typeof parsed['out'] === 'string' ? parsed['out'] : join('reports', `${testid}-from-influx`));
        out(`report: ${await rebuildFromInflux(new InfluxReader(influx), testid, outDir)}`);
      } else out(`report: ${await writeReport(resolve(run))}`);
      return EXIT_CODES.ok;
    }
    if (command === 'compare') return await compareCommand(parsed as unknown as CompareArgs, makeRunId, out, err);
    if (command === 'sfu') return await sfuCommand(parsed as unknown as Parameters<typeof sfuCommand>[0]);
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
