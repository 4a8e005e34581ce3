/**
 * `glassbench report influx:<testid>`: a run's report rebuilt from InfluxDB alone (the run directory is gone, or
 * the run was sharded over machines): its `frame` points become frames.ndjson.gz and its `summary` points a
 * summary.json (metrics and status; thresholds are not stored in InfluxDB), then report.html is drawn from them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { frameRecord, literal, type InfluxReader } from '../compare/influx-source.js';
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
    if (record['warmup'] !== true) delete record['warmup'];
    return record;
  });
  const metrics: RunSummary['metrics'] = {};
  for (const row of summaryRows) {
    const metric = String(row['metric'] ?? '');
    if (metric === '') continue;
    metrics[metric] = typeof row['p50'] === 'number'
      ? ({ count: row['count'], min: row['min'], mean: row['mean'], p50: row['p50'], p90: row['p90'], p95: row['p95'], p99: row['p99'], max: row['max'] } as TrendSummary)
      : ({ count: row['count'], rate: row['rate'] } as CounterSummary);
  }
  const first = summaryRows[0] ?? {};
  const times = records.map((r) => (r['receivedMs'] ?? r['renderedMs']) as number).filter((t) => typeof t === 'number');
  const startMs = times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : Number(first['time']) / 1000;
  const endMs = Number(first['time']) / 1000;
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: testid,
    status: String(first['status'] ?? 'passed') as RunStatus,
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
    notes: [`rebuilt from InfluxDB (testid ${testid}, ${records.length} frame points); thresholds and process usage are not stored there`],
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'frames.ndjson.gz'), gzipSync(records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '')));
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return writeReport(outDir);
}
