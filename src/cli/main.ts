#!/usr/bin/env node
/**
 * glassbench CLI: runs the command parser.ts parsed, and maps errors to exit codes (docs/outputs.md): 0 pass, 99 a
 * threshold failed, 104 invalid scenario or flags, 105 aborted, 107 run failed.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { hideBin } from 'yargs/helpers';

import { InfluxReader } from '../compare/influx-source.js';
import { describeError, GlassbenchError } from '../errors.js';
import { EXIT_CODES, exitCodeForError } from '../exit-codes.js';
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
import { cli } from './parser.js';
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
