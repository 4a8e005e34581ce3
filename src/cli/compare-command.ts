/** `glassbench compare`: loads both runs, compares them, prints the table and writes the files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { changePoint } from '../compare/change-point.js';
import {
  type CompareOptions,
  compareRuns,
  comparisonJunit,
  comparisonMarkdown,
  comparisonTable,
  DEFAULT_COMPARE_OPTIONS,
  parseTolerance,
} from '../compare/compare.js';
import { InfluxReader } from '../compare/influx-source.js';
import { type RunSamples, samplesFromDir } from '../compare/samples.js';
import { quantile, sortedCopy } from '../compare/stats.js';
import { GlassbenchError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { type InfluxArgs, influxFrom, parseTags } from './influx-args.js';

export interface CompareArgs extends InfluxArgs {
  first: string;
  second?: string;
  baseline?: string;
  out?: string;
  tolerance?: string[];
  'tolerance-pct': number;
  'tolerance-abs': number;
  'allow-different-scenarios': boolean;
  gate?: string[];
  variant?: string;
}

function reader(args: CompareArgs): InfluxReader {
  const influx = influxFrom({ ...args, tag: [] });
  if (!influx)
    throw new GlassbenchError(
      'INVALID_INPUT',
      'influx: runs need --influx-url and --influx-db (or --influx-org and --influx-bucket)',
    );
  return new InfluxReader(influx);
}

async function load(ref: string, args: CompareArgs): Promise<RunSamples> {
  if (ref.startsWith('influx:')) return reader(args).samples(ref.slice('influx:'.length), args.variant);
  return samplesFromDir(resolve(ref), args.variant);
}

export async function compareCommand(
  args: CompareArgs,
  makeId: (name: string) => string,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  // `compare A B`, or `compare --baseline A B`
  if (args.baseline !== undefined && args.second !== undefined)
    throw new GlassbenchError(
      'INVALID_INPUT',
      'name the baseline once: compare <baseline> <candidate>, or compare --baseline <baseline> <candidate>',
    );
  let baselineRef = args.baseline ?? args.first;
  const candidateRef = args.baseline !== undefined ? args.first : args.second;
  if (!candidateRef)
    throw new GlassbenchError(
      'INVALID_INPUT',
      'compare needs a baseline and a candidate: glassbench compare <baseline> <candidate> (or --baseline <ref> <candidate>)',
    );
  if (baselineRef === 'influx:latest' && candidateRef === 'influx:latest')
    throw new GlassbenchError('INVALID_INPUT', 'the candidate cannot be influx:latest');
  const gate = (args.gate ?? ['p50']).flatMap((g) => g.split(',')).map((g) => g.trim());
  const unknown = gate.find((g) => g !== 'p50' && g !== 'p95');
  if (unknown !== undefined || gate.length === 0)
    throw new GlassbenchError('INVALID_INPUT', `--gate ${unknown ?? ''}: expected p50, p95 or p50,p95`);
  const options: CompareOptions = {
    ...DEFAULT_COMPARE_OPTIONS,
    tolerance: { pct: args['tolerance-pct'], abs: args['tolerance-abs'] },
    tolerances: {},
    gate: [...new Set(gate)] as ('p50' | 'p95')[],
  };
  for (const t of args.tolerance ?? []) {
    try {
      const { metric, tolerance } = parseTolerance(t, options.tolerance);
      options.tolerances[metric] = tolerance;
    } catch (error) {
      throw new GlassbenchError('INVALID_INPUT', (error as Error).message);
    }
  }
  const tags = parseTags(args.tag);
  const candidate = await load(candidateRef, args);
  if (baselineRef === 'influx:latest') {
    const testid = await reader(args).latestPassing(candidate.scenario, tags, candidate.runId);
    if (!testid) {
      const tagText = Object.entries(tags)
        .map(([k, v]) => ` ${k}=${v}`)
        .join('');
      throw new GlassbenchError(
        'INVALID_INPUT',
        `influx:latest: InfluxDB has no passing run of scenario ${candidate.scenario}${tagText ? ` tagged${tagText}` : ''} other than the candidate`,
      );
    }
    err(`baseline: influx:${testid} (the latest passing run of ${candidate.scenario})`);
    baselineRef = `influx:${testid}`;
  }
  const baseline = await load(baselineRef, args);
  if (baseline.scenario !== candidate.scenario && !args['allow-different-scenarios']) {
    throw new GlassbenchError(
      'INVALID_INPUT',
      `the runs are of different scenarios (${baseline.scenario} and ${candidate.scenario}); pass --allow-different-scenarios to compare them anyway`,
    );
  }
  const comparison = compareRuns(baseline, candidate, options);
  if (baselineRef.startsWith('influx:') || candidateRef.startsWith('influx:')) {
    // the change-point check over the scenario's history, for the headline metrics the candidate has
    const influxReader = reader(args);
    comparison.history = [];
    for (const metric of ['g2g_latency_ms', 'frame_latency_ms'] as const) {
      const values = candidate.values.get(metric);
      if (!values || values.length === 0) continue;
      const history = (await influxReader.history(candidate.scenario, tags, metric)).filter(
        (h) => h.testid !== candidate.runId,
      );
      const check = changePoint(
        metric,
        history.map((h) => h.p50),
        quantile(sortedCopy(values), 0.5),
        options.tolerances[metric] ?? options.tolerance,
      );
      if (check) comparison.history.push(check);
    }
  }
  const outDir = resolve(args.out ?? join('reports', `compare-${makeId(candidate.scenario)}`));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'compare.json'), `${JSON.stringify(comparison, null, 2)}\n`);
  await writeFile(join(outDir, 'compare.md'), comparisonMarkdown(comparison));
  await writeFile(join(outDir, 'junit.xml'), comparisonJunit(comparison));
  out(
    `glassbench compare: baseline ${baseline.source} (${baseline.runId}) -> candidate ${candidate.source} (${candidate.runId})`,
  );
  out('');
  out(comparisonTable(comparison));
  out('');
  for (const h of comparison.history ?? []) {
    out(
      `${h.step ? 'STEP CHANGE' : 'no step change'} in ${h.metric}: candidate median ${h.candidate.toFixed(1)} against ${h.historyMedian.toFixed(1)} +/- ${h.band.toFixed(1)} over the last ${h.runs} passing runs`,
    );
  }
  out(comparison.regressions.length > 0 ? `regression: ${comparison.regressions.join(', ')}` : 'no regression');
  out(`results: ${outDir}/compare.md, compare.json, junit.xml`);
  return comparison.regressions.length > 0 ? EXIT_CODES.thresholdFailed : EXIT_CODES.ok;
}
