/**
 * Bench part (e): what glassbench's own measuring costs. The same workload (1 synthetic publisher and N synthetic
 * subscribers in one runner, the reference SFU) runs alternately on this build and on a baseline build of an
 * earlier commit (BENCH_BASELINE_REF, default the commit before the load-validity measuring: event-loop delay
 * monitors, machine CPU, exact accounting, wire stamps), ROUNDS times each; the difference of each process's mean
 * CPU is the cost of what the newer build measures. The baseline is built in a temporary git worktree.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { RunSummary } from '../src/report/summary.js';
import { meanCpuByKind } from '../src/report/summary.js';

export interface MeasuringCost {
  baselineRef: string;
  subscribers: number;
  rounds: number;
  hold: string;
  /** mean CPU per process kind (percent of a core), per build, each round's value */
  baseline: Record<string, number[]>;
  current: Record<string, number[]>;
  /** current minus baseline, mean over rounds, percent of a core */
  deltaPct: Record<string, number>;
  /** harness + runner + SFU */
  totalDeltaPct: number;
}

const log = (text: string): void => void process.stderr.write(`${text}\n`);

function runCli(cli: string, scenarioPath: string, outDir: string): Promise<RunSummary> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, 'run', scenarioPath, '--out', outDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', () => {
      readFile(join(outDir, 'summary.json'), 'utf8')
        .then((t) => done(JSON.parse(t) as RunSummary))
        .catch(() => fail(new Error(`${cli}: no summary (${stderr.slice(-500)})`)));
    });
  });
}

/** Builds `ref` in a temporary worktree (node_modules shared with this checkout); returns its CLI path. */
function buildBaseline(ref: string, dir: string): string {
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'ignore' });
  const cli = join(dir, 'dist/src/cli/main.js');
  if (!existsSync(cli)) throw new Error(`baseline ${ref}: build produced no CLI`);
  return cli;
}

export async function benchMeasuringCost(options: {
  baselineRef: string;
  subscribers: number;
  rounds: number;
  hold: string;
}): Promise<MeasuringCost> {
  const work = await mkdtemp(join(tmpdir(), 'glassbench-bench-cost-'));
  const baselineDir = join(work, 'baseline');
  try {
    log(`(e) building the baseline ${options.baselineRef} ...`);
    const baselineCli = buildBaseline(options.baselineRef, baselineDir);
    const currentCli = resolve('dist/src/cli/main.js');
    const scenarioText = `name: bench-measuring-cost
duration: ${options.hold}
warmup: 3s
runners: 1
peers:
  - { role: publisher, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, count: ${options.subscribers} }
`;
    // the baseline predates SFU workers; this build runs its SFU as one process too, so both measure the same SFU
    const scenarioPath = { baseline: join(work, 'cost-baseline.yaml'), current: join(work, 'cost.yaml') };
    await writeFile(scenarioPath.baseline, scenarioText);
    await writeFile(scenarioPath.current, `${scenarioText}sfu: { workers: 1 }\n`);
    const baseline: Record<string, number[]> = {};
    const current: Record<string, number[]> = {};
    const add = (into: Record<string, number[]>, s: RunSummary): void => {
      for (const [kind, pct] of Object.entries(meanCpuByKind([s.processes]))) (into[kind] ??= []).push(pct);
    };
    for (let round = 1; round <= options.rounds; round += 1) {
      // alternate which build goes first, so a drift of the machine does not favour one
      const order: ['baseline' | 'current', string][] =
        round % 2 === 1
          ? [
              ['baseline', baselineCli],
              ['current', currentCli],
            ]
          : [
              ['current', currentCli],
              ['baseline', baselineCli],
            ];
      for (const [name, cli] of order) {
        log(`(e) round ${round}/${options.rounds}: ${name} build, ${options.subscribers} subscribers ...`);
        const s = await runCli(cli, scenarioPath[name], join(work, `${name}-${round}`));
        add(name === 'baseline' ? baseline : current, s);
        log(`    CPU % of a core: ${JSON.stringify(meanCpuByKind([s.processes]))}`);
      }
    }
    const mean = (v: number[] | undefined): number => (v && v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0);
    const deltaPct: Record<string, number> = {};
    for (const kind of ['harness', 'runner', 'sfu'])
      deltaPct[kind] = Math.round((mean(current[kind]) - mean(baseline[kind])) * 10) / 10;
    const totalDeltaPct =
      Math.round(((deltaPct['harness'] ?? 0) + (deltaPct['runner'] ?? 0) + (deltaPct['sfu'] ?? 0)) * 10) / 10;
    return { ...options, baseline, current, deltaPct, totalDeltaPct };
  } finally {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', baselineDir], { stdio: 'ignore' });
    } catch {
      // not made (the build failed before): nothing to remove
    }
    await rm(work, { recursive: true, force: true });
  }
}
