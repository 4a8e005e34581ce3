/**
 * `glassbench report influx:<testid>`: a run's report rebuilt from InfluxDB alone (the run directory is gone, or
 * the run was sharded over machines): its `frame` points become frames.ndjson.gz and its `summary` points a
 * summary.json (metrics and status; thresholds are not stored in InfluxDB), then report.html is drawn from them.
 *
 * A sharded run (`--shard i/n`, every shard under one testid, each point tagged `shard`) is merged: counters
 * are summed over the shards' summaries, per-frame latencies are summarised again from all the frame points
 * (percentiles cannot be merged from per-shard summaries), and other trends come from the shard with the
 * most samples (said in the notes).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { frameRecord, literal, type InfluxReader } from '../compare/influx-source.js';
import { SampleSink } from '../compare/samples.js';
import { Trend } from '../metrics/histogram.js';
import { GlassbenchError } from '../errors.js';
import type { TrendSummary } from '../metrics/histogram.js';
import type { CounterSummary } from '../metrics/series.js';
import { writeReport } from './html.js';
import { SUMMARY_SCHEMA_VERSION, type RunStatus, type RunSummary } from './summary.js';

export async function rebuildFromInflux(reader: InfluxReader, testid: string, outDir: string): Promise<string> {
  const summaryRows = await reader.query(`SELECT * FROM summary WHERE testid = ${literal(testid)}`);
  if (summaryRows.length === 0) throw new GlassbenchError('INVALID_INPUT', `InfluxDB has no run with testid ${testid} (no summary points)`);
  const frameRows = await reader.query(`SELECT * FROM frame WHERE testid = ${literal(testid)}`);
  const records = frameRows.map((row) => {
    const record = frameRecord(row);
    for (const key of ['room', 'subscriber', 'session', 'peer_kind']) if (typeof row[key] === 'string') record[key === 'peer_kind' ? 'peerKind' : key] = row[key];
    if (typeof row['variant'] === 'string') record['variant'] = row['variant'];
    if (typeof row['shard'] === 'string') record['shard'] = row['shard'];
    if (record['warmup'] !== true) delete record['warmup'];
    return record;
  });
  const metrics: RunSummary['metrics'] = {};
  const shards = [...new Set(summaryRows.map((row) => (typeof row['shard'] === 'string' ? row['shard'] : '')))].sort();
  const sharded = shards.length > 1 || (shards[0] ?? '') !== '';
  const frameSamples = new SampleSink();
  for (const record of records) frameSamples.push(record);
  for (const row of summaryRows) {
    const metric = String(row['metric'] ?? '');
    if (metric === '') continue;
    if (typeof row['p50'] === 'number') {
      const candidate = { count: row['count'], min: row['min'], mean: row['mean'], p50: row['p50'], p90: row['p90'], p95: row['p95'], p99: row['p99'], max: row['max'] } as TrendSummary;
      const held = metrics[metric] as TrendSummary | undefined;
      if (!held || candidate.count > held.count) metrics[metric] = candidate;
    } else {
      const held = metrics[metric] as CounterSummary | undefined;
      const count = Number(row['count'] ?? 0);
      const rate = Number(row['rate'] ?? 0);
      // shards run side by side over the same time: counts and rates add up
      metrics[metric] = sharded && held ? { count: held.count + count, rate: Math.round((held.rate + rate) * 1000) / 1000 } : { count, rate };
    }
  }
  if (sharded) {
    for (const [metric, values] of frameSamples.values) {
      const trend = new Trend();
      for (const v of values) trend.record(v);
      const merged = trend.summary();
      if (merged) metrics[metric] = merged;
    }
  }
  const first = summaryRows[0] ?? {};
  const statuses = summaryRows.map((row) => String(row['status'] ?? 'passed'));
  const worst = (['error', 'aborted', 'failed', 'passed'] as RunStatus[]).find((st) => statuses.includes(st)) ?? 'passed';
  const times = records.map((r) => (r['receivedMs'] ?? r['renderedMs']) as number).filter((t) => typeof t === 'number');
  const startMs = times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : Number(first['time']) / 1000;
  const endMs = Number(first['time']) / 1000;
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: testid,
    status: worst,
    scenario: { name: String(first['scenario'] ?? ''), file: '', durationMs: Math.max(0, endMs - startMs), rooms: 0, target: '', addDelayMs: 0 },
    environment: { glassbenchVersion: '', node: '', platform: '', cpus: 0, cpuModel: '', clockOffsetMs: 0, clockUncertaintyMs: 0 },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    durationMs: Math.max(0, endMs - startMs),
    saturated: first['saturated'] === true,
    processes: {},
    peers: { planned: 0, connected: 0, failed: [] },
    metrics,
    thresholds: {},
    notes: [
      `rebuilt from InfluxDB (testid ${testid}, ${records.length} frame points); thresholds and process usage are not stored there`,
      ...(sharded ? [`merged ${shards.length} shard(s) (${shards.join(', ')}): counters summed, per-frame latencies summarised from every shard's frame points, other trends from the shard with the most samples`] : []),
    ],
  };
  if (sharded) {
    summary.shards = shards.map((shard) => ({
      shard,
      frames: records.filter((r) => r['shard'] === shard && r['kind'] !== 'speech').length,
      metrics: Object.fromEntries(summaryRows.filter((row) => row['shard'] === shard && typeof row['p50'] !== 'number' && typeof row['metric'] === 'string').map((row) => [String(row['metric']), Number(row['count'] ?? 0)])),
    }));
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'frames.ndjson.gz'), gzipSync(records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '')));
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return writeReport(outDir);
}
