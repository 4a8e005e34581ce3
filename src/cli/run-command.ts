/** `glassbench run` and `glassbench capacity`: load the scenario, run it with progress on stderr, print the summary. */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { describeError, GlassbenchError, InterruptedError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { nowMs } from '../metrics/clock.js';
import { type CapacityOptions, runCapacity } from '../orchestrator/capacity.js';
import { parseStartAt } from '../orchestrator/start-barrier.js';
import type { RunOptions, RunResult } from '../orchestrator/types.js';
import { runWithVariants } from '../orchestrator/variants.js';
import { k6SummaryOf } from '../report/k6-summary.js';
import type { RunSummary } from '../report/summary.js';
import type { Scenario } from '../scenario/types.js';
import { loadScenario } from '../scenario/validate.js';
import { err, out } from './console.js';
import { capacityLine, progressLine, summaryTable } from './format.js';
import { type InfluxArgs, influxFrom } from './influx-args.js';
import { applyNetworkFlags, type RunNetworkArgs } from './network-args.js';

export function makeRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'run';
  return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
}

export interface RunArgs extends InfluxArgs, RunNetworkArgs {
  scenario: string;
  out?: string;
  shard?: string;
  testid?: string;
  'start-at'?: string;
  'summary-export'?: string;
}

export interface CapacityArgs extends RunArgs {
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

export function checkTestid(testid: string | undefined): string | undefined {
  if (testid !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(testid))
    throw new GlassbenchError('INVALID_INPUT', `--testid ${testid}: 1-100 letters, digits, _ . or -`);
  return testid;
}

/**
 * The flags of `run` and `capacity`, checked against the loaded scenario before anything starts: what the run
 * then uses, or a GlassbenchError (exit 104) that names the flag.
 */
export function checkRunFlags(loaded: Scenario, args: RunArgs, now: number, capacity: boolean) {
  const scenario = applyNetworkFlags(loaded, args);
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
  const startAt = args['start-at'] === undefined ? undefined : parseStartAt(args['start-at'], now);
  if (startAt && scenario.variants)
    throw new GlassbenchError('INVALID_INPUT', '--start-at: a scenario with variants runs several holds, not one');
  const exportPath = summaryExportPath(args['summary-export'], scenario.report?.summaryExport);
  const outDir = resolve(args.out ?? `reports/${runId}${shard ? `-shard-${shard.index}of${shard.count}` : ''}`);
  return { scenario, influx, shard, runId, startAt, exportPath, outDir };
}

export async function runCommand(args: RunArgs, capacity?: CapacityOptions): Promise<number> {
  const { scenario, influx, shard, runId, startAt, exportPath, outDir } = checkRunFlags(
    await loadScenario(args.scenario),
    args,
    nowMs(),
    capacity !== undefined,
  );
  const controller = new AbortController();
  let interrupts = 0;
  // SIGINT (Ctrl-C) and SIGTERM (an orchestrator stopping a pod, `kill`) alike: the first drains and writes the
  // partial report, naming the signal; a second quits at once
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts === 1) {
      err(`\n${signal}: draining and writing a partial report (a second signal quits at once)`);
      controller.abort(new InterruptedError(signal));
    } else {
      process.exit(EXIT_CODES.aborted); // children exit when their IPC channel closes
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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
      ...(startAt ? { startAt } : {}),
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
    const exported = await writeSummaryExport(exportPath, summary);
    if (summary.status === 'failed') {
      const failing = Object.entries(summary.thresholds).flatMap(([key, list]) =>
        list.filter((r) => !r.ok).map((r) => `${key} ${r.expr}`),
      );
      err(`thresholds failed: ${failing.join(', ')}`);
    }
    // a k6 summary asked for and not written: a CI step would read a stale file or none, so a passing run fails
    return exported || result.exitCode !== EXIT_CODES.ok ? result.exitCode : EXIT_CODES.runFailed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Where the k6 summary goes (the flag wins over the scenario's `report.summary-export`), refused before the run
 * when it cannot be a file: empty, a directory, or under something that is not a directory.
 */
function summaryExportPath(flag: string | undefined, fromScenario: string | undefined): string | undefined {
  const given = flag ?? fromScenario;
  if (given === undefined) return undefined;
  const name = flag !== undefined ? `--summary-export ${flag}` : `report.summary-export ${given}`;
  if (given.trim() === '') throw new GlassbenchError('INVALID_INPUT', `${name}: expected a file path`);
  const path = resolve(given);
  let above = path;
  while (!existsSync(above)) above = dirname(above);
  const isDirectory = statSync(above).isDirectory();
  if (above === path && isDirectory) throw new GlassbenchError('INVALID_INPUT', `${name}: is a directory`);
  if (!isDirectory) throw new GlassbenchError('INVALID_INPUT', `${name}: ${above} is a file, not a directory`);
  return path;
}

/** Writes the results as k6's summary data; false (said on stderr) when the file could not be written. */
async function writeSummaryExport(path: string | undefined, summary: RunSummary): Promise<boolean> {
  if (path === undefined) return true;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(k6SummaryOf(summary), null, 2)}\n`);
    out(`k6 summary: ${path}`);
    return true;
  } catch (error) {
    err(`k6 summary not written to ${path}: ${describeError(error)}`);
    return false;
  }
}
