/** `glassbench compare`: loads both runs, compares them, prints the table and writes the files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compareRuns, comparisonJunit, comparisonMarkdown, comparisonTable, DEFAULT_COMPARE_OPTIONS, parseTolerance, type CompareOptions } from '../compare/compare.js';
import { InfluxReader } from '../compare/influx-source.js';
import { samplesFromDir, type RunSamples } from '../compare/samples.js';
import { EXIT_CODES, GlassbenchError } from '../errors.js';
import { influxFrom, parseTags, type InfluxArgs } from './influx-args.js';

export interface CompareArgs extends InfluxArgs {
  first: string;
  second?: string;
  baseline?: string;
  out?: string;
  tolerance?: string[];
  'tolerance-pct': number;
  'tolerance-abs': number;
  'allow-different-scenarios': boolean;
}

function reader(args: CompareArgs): InfluxReader {
  const influx = influxFrom({ ...args, tag: [] });
  if (!influx) throw new GlassbenchError('INVALID_INPUT', 'influx: runs need --influx-url and --influx-db (or --influx-org and --influx-bucket)');
  return new InfluxReader(influx);
}

async function load(ref: string, args: CompareArgs): Promise<RunSamples> {
  if (ref.startsWith('influx:')) return reader(args).samples(ref.slice('influx:'.length));
  return samplesFromDir(resolve(ref));
}

export async function compareCommand(args: CompareArgs, makeId: (name: string) => string, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  // `compare A B`, or `compare --baseline A B`
  if (args.baseline !== undefined && args.second !== undefined) throw new GlassbenchError('INVALID_INPUT', 'name the baseline once: compare <baseline> <candidate>, or compare --baseline <baseline> <candidate>');
  let baselineRef = args.baseline ?? args.first;
  const candidateRef = args.baseline !== undefined ? args.first : args.second;
  if (!candidateRef) throw new GlassbenchError('INVALID_INPUT', 'compare needs a baseline and a candidate: glassbench compare <baseline> <candidate> (or --baseline <ref> <candidate>)');
  if (baselineRef === 'influx:latest' && candidateRef === 'influx:latest') throw new GlassbenchError('INVALID_INPUT', 'the candidate cannot be influx:latest');
  const options: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, tolerance: { pct: args['tolerance-pct'], abs: args['tolerance-abs'] }, tolerances: {} };
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
      const tagText = Object.entries(tags).map(([k, v]) => ` ${k}=${v}`).join('');
      throw new GlassbenchError('INVALID_INPUT', `influx:latest: InfluxDB has no passing run of scenario ${candidate.scenario}${tagText ? ` tagged${tagText}` : ''} other than the candidate`);
    }
    err(`baseline: influx:${testid} (the latest passing run of ${candidate.scenario})`);
    baselineRef = `influx:${testid}`;
  }
  const baseline = await load(baselineRef, args);
  if (baseline.scenario !== candidate.scenario && !args['allow-different-scenarios']) {
    throw new GlassbenchError('INVALID_INPUT', `the runs are of different scenarios (${baseline.scenario} and ${candidate.scenario}); pass --allow-different-scenarios to compare them anyway`);
  }
  const comparison = compareRuns(baseline, candidate, options);
  const outDir = resolve(args.out ?? join('reports', `compare-${makeId(candidate.scenario)}`));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'compare.json'), `${JSON.stringify(comparison, null, 2)}\n`);
  await writeFile(join(outDir, 'compare.md'), comparisonMarkdown(comparison));
  await writeFile(join(outDir, 'junit.xml'), comparisonJunit(comparison));
  out(`glassbench compare: baseline ${baseline.source} (${baseline.runId}) -> candidate ${candidate.source} (${candidate.runId})`);
  out('');
  out(comparisonTable(comparison));
  out('');
  out(comparison.regressions.length > 0 ? `regression: ${comparison.regressions.join(', ')}` : 'no regression');
  out(`results: ${outDir}/compare.md, compare.json, junit.xml`);
  return comparison.regressions.length > 0 ? EXIT_CODES.thresholdFailed : EXIT_CODES.ok;
}
