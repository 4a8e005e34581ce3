/**
 * The files every run writes last, whatever kind it is (one run, a capacity search, a variants comparison):
 * summary.json, junit.xml and report.html; and the header of a summary that stands over several runs.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describeError } from '../errors.js';
import { exitCodeForSummary } from '../exit-codes.js';
import { writeReport } from '../report/html.js';
import type { RunSummary } from '../report/summary.js';
import type { Scenario } from '../scenario/types.js';
import { renderJunit } from '../sinks/junit.js';
import type { RunEvent, RunResult } from './types.js';

/** Writes the run's summary.json and junit.xml, then its report (a report that fails is only a warning). */
export async function writeRunFiles(
  outDir: string,
  summary: RunSummary,
  emit: ((event: RunEvent) => void) | undefined,
): Promise<RunResult> {
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(outDir, 'junit.xml'), renderJunit(summary));
  await writeReport(outDir).catch((error: unknown) =>
    emit?.({ type: 'warning', message: `report.html not written: ${describeError(error)}` }),
  );
  return { summary, outDir, exitCode: exitCodeForSummary(summary) };
}

/**
 * The head of a summary over several runs: its own id, status and times, and what it takes from its first run
 * (scenario, environment), or from the scenario itself when no run finished.
 */
export function umbrellaHeader(
  first: RunSummary | undefined,
  scenario: Scenario,
  head: { runId: string; status: RunSummary['status']; startedMs: number; endedMs: number; rooms: number },
): Pick<
  RunSummary,
  'schemaVersion' | 'runId' | 'status' | 'scenario' | 'environment' | 'clock' | 'startedAt' | 'endedAt' | 'durationMs'
> {
  const { runId, status, startedMs, endedMs } = head;
  return {
    schemaVersion: first?.schemaVersion ?? 1,
    runId,
    status,
    scenario: first?.scenario ?? {
      name: scenario.name,
      file: scenario.sourcePath,
      durationMs: scenario.durationMs,
      rooms: head.rooms,
      target: scenario.target.type,
      addDelayMs: scenario.sfu.addDelayMs,
    },
    environment: first?.environment ?? {
      glassbenchVersion: '',
      glassbenchCommit: '',
      node: process.version,
      platform: process.platform,
      cpus: 0,
      cpuModel: '',
      clockOffsetMs: 0,
      clockUncertaintyMs: 0,
    },
    // the runs under it measured against one SFU from one host: the first one's clock stands for them
    ...(first?.clock ? { clock: first.clock } : {}),
    startedAt: new Date(startedMs).toISOString(),
    endedAt: new Date(endedMs).toISOString(),
    durationMs: endedMs - startedMs,
  };
}
