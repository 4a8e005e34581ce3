/**
 * `glassbench report influx:<testid>`: a run's report rebuilt from InfluxDB alone (the run directory is gone, or
 * the run was sharded over machines): its `frame` and `speech` points become frames.ndjson.gz and its
 * `summary` and `process` points a summary.json (metrics, status, saturation, process usage; thresholds are
 * not stored in InfluxDB), then report.html is drawn from them.
 *
 * A sharded run (`--shard i/n`, every shard under one testid, each point tagged `shard`) is merged by
 * shard-merge.ts: counters and Rates summed, every trend InfluxDB has the samples of summarised again from
 * all shards' points (frames, speech, WebRTC stats), the others merged from the shards' summaries (said in
 * the notes), `saturated` when any shard was.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { frameRecord, type InfluxReader, literal, speechRecord } from '../compare/influx-source.js';
import { GlassbenchError } from '../errors.js';
import type { IdentitySummary } from '../metrics/identity.js';
import type { IdentityMethod } from '../protocol/frame-key.js';
import { ACCOUNTING_FIELDS } from '../sinks/influx-sink.js';
import { writeReport } from './html.js';
import { shardLoss, shardLossMessage } from './shard-loss.js';
import { mergeShards } from './shard-merge.js';
import { type ClockSummary, type RunStatus, type RunSummary, SUMMARY_SCHEMA_VERSION } from './summary.js';

export async function rebuildFromInflux(reader: InfluxReader, testid: string, outDir: string): Promise<string> {
  const where = `testid = ${literal(testid)}`;
  const summaryRows = await reader.query(`SELECT * FROM summary WHERE ${where}`);
  if (summaryRows.length === 0)
    throw new GlassbenchError('INVALID_INPUT', `InfluxDB has no run with testid ${testid} (no summary points)`);
  const frameRows = await reader.query(`SELECT * FROM frame WHERE ${where}`);
  const records = frameRows.map((row) => {
    const record = frameRecord(row);
    for (const key of ['room', 'subscriber', 'session', 'peer_kind'])
      if (typeof row[key] === 'string') record[key === 'peer_kind' ? 'peerKind' : key] = row[key];
    if (typeof row['variant'] === 'string') record['variant'] = row['variant'];
    if (typeof row['shard'] === 'string') record['shard'] = row['shard'];
    if (record['warmup'] !== true) delete record['warmup'];
    return record;
  });
  const speech = (await reader.query(`SELECT * FROM speech WHERE ${where}`)).map((row) => {
    const record = speechRecord(row);
    for (const key of ['room', 'subscriber', 'utterance']) if (typeof row[key] === 'string') record[key] = row[key];
    if (typeof row['shard'] === 'string') record['shard'] = row['shard'];
    if (record['warmup'] !== true) delete record['warmup'];
    return record;
  });
  const merged = mergeShards({
    summaryRows,
    records: [...records, ...speech],
    webrtcRows: await reader.query(`SELECT * FROM webrtc WHERE ${where}`),
    processRows: await reader.query(`SELECT * FROM process WHERE ${where}`),
  });
  const accountingRows = await reader.query(`SELECT * FROM accounting WHERE ${where}`);
  const clocks = clocksByShard(await reader.query(`SELECT * FROM clock WHERE ${where}`));
  const identity = mergedIdentity(await reader.query(`SELECT * FROM identity WHERE ${where}`));
  const { sharded, metrics } = merged;
  const loss = shardLoss(summaryRows, records);
  const framePoints = (shard: string): number =>
    records.filter((r) => r['shard'] === shard && r['kind'] !== 'speech' && r['warmup'] !== true).length;
  const lost = shardLossMessage(loss, framePoints);
  // what a shard that ended early received is counted, not dropped with its summary
  const received = metrics['frames_received'] as { count: number; rate?: number } | undefined;
  const extra = loss.incomplete.reduce((n, shard) => n + framePoints(shard), 0);
  if (received && extra > 0) {
    if (received.count > 0 && typeof received.rate === 'number')
      received.rate *= (received.count + extra) / received.count;
    received.count += extra;
  } else if (extra > 0) metrics['frames_received'] = { count: extra, rate: 0 };
  const first = summaryRows[0] ?? {};
  const statuses = summaryRows.map((row) => String(row['status'] ?? 'passed'));
  const worst =
    (['error', 'aborted', 'failed', 'passed'] as RunStatus[]).find((st) => statuses.includes(st)) ?? 'passed';
  const times = records.map((r) => (r['receivedMs'] ?? r['renderedMs']) as number).filter((t) => typeof t === 'number');
  const startMs = times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : Number(first['time']) / 1000;
  const endMs = Number(first['time']) / 1000;
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: testid,
    status: lost ? 'error' : worst,
    scenario: {
      name: String(first['scenario'] ?? ''),
      file: '',
      durationMs: Math.max(0, endMs - startMs),
      rooms: 0,
      target: '',
      addDelayMs: 0,
    },
    environment: {
      glassbenchVersion: '',
      glassbenchCommit: '',
      node: '',
      platform: '',
      cpus: 0,
      cpuModel: '',
      clockOffsetMs: 0,
      clockUncertaintyMs: 0,
    },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    durationMs: Math.max(0, endMs - startMs),
    saturated: merged.saturated,
    processes: merged.processes,
    peers: { planned: 0, connected: 0, failed: [] },
    metrics,
    thresholds: {},
    notes: [
      `rebuilt from InfluxDB (testid ${testid}, ${records.length} frame points${speech.length > 0 ? `, ${speech.length} speech points` : ''}); thresholds are not stored there${Object.keys(merged.processes).length === 0 ? ', and this run wrote no process usage' : ''}`,
      ...merged.notes,
    ],
  };
  if (identity) summary.identity = identity;
  if (lost) {
    summary.error = { code: 'SHARD_LOST', message: lost };
    summary.notes.push(lost);
  }
  if (accountingRows.length > 0) {
    // each shard judged its own frames at its own receivers: the run's tally is their sum
    const sum = (field: (typeof ACCOUNTING_FIELDS)[number]): number =>
      accountingRows.reduce((n, row) => n + Number(row[field] ?? 0), 0);
    const a = Object.fromEntries(ACCOUNTING_FIELDS.map((f) => [f, sum(f)])) as Record<
      (typeof ACCOUNTING_FIELDS)[number],
      number
    >;
    summary.accounting = {
      ...a,
      holds: a.received + a.late + a.lost === a.expected && accountingRows.every((row) => row['holds'] !== false),
    };
  } else
    summary.notes.push(
      'no accounting points in InfluxDB for this testid (written by an older glassbench): the frame accounting is unknown',
    );
  if (sharded) {
    summary.shards = loss.seen.map((shard) => ({
      shard,
      frames: records.filter((r) => r['shard'] === shard && r['kind'] !== 'speech').length,
      complete: !loss.incomplete.includes(shard),
      metrics: Object.fromEntries(
        summaryRows
          .filter(
            (row) => row['shard'] === shard && typeof row['p50'] !== 'number' && typeof row['metric'] === 'string',
          )
          .map((row) => [String(row['metric']), Number(row['count'] ?? 0)]),
      ),
      saturated: summaryRows.some((row) => row['shard'] === shard && row['saturated'] === true),
      ...(clocks.has(shard) ? { clock: clocks.get(shard) as ClockSummary } : {}),
    }));
    for (const [shard, clock] of clocks)
      if (clock.uncertainMetrics.length > 0)
        summary.notes.push(
          `clock: shard ${shard} (${clock.method}, +/- ${clock.uncertaintyMaxMs ?? 'unknown'} ms): ${clock.uncertainMetrics.map((m) => m.metric).join(', ')} clock-uncertain (uncertainty over 10% of that shard's median)`,
        );
  } else if (clocks.has('')) {
    const clock = clocks.get('') as ClockSummary;
    summary.clock = clock;
    summary.environment.clockOffsetMs = clock.offsetMs;
    summary.environment.clockUncertaintyMs = clock.uncertaintyMs;
  }
  await mkdir(outDir, { recursive: true });
  const all = [...records, ...speech];
  await writeFile(
    join(outDir, 'frames.ndjson.gz'),
    gzipSync(all.map((r) => JSON.stringify(r)).join('\n') + (all.length > 0 ? '\n' : '')),
  );
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return writeReport(outDir);
}

/** Each shard's summary.clock from its `clock` point ('' for a run without shards); a point that does not parse is left out. */
function clocksByShard(rows: Record<string, unknown>[]): Map<string, ClockSummary> {
  const out = new Map<string, ClockSummary>();
  for (const row of rows) {
    const json = row['summary_json'];
    if (typeof json !== 'string') continue;
    try {
      const clock = JSON.parse(json) as ClockSummary;
      if (typeof clock.method === 'string' && typeof clock.offsetMs === 'number')
        out.set(typeof row['shard'] === 'string' ? row['shard'] : '', clock);
    } catch {
      // written by something else: this shard's clock stays unknown in the merge
    }
  }
  return out;
}

/**
 * The run's summary.identity from its runs' or shards' `identity` points: the shards named their own receipts, so
 * the totals add up and the subscriptions are every shard's; undefined when no point parses (an older glassbench).
 */
function mergedIdentity(rows: Record<string, unknown>[]): IdentitySummary | undefined {
  let out: IdentitySummary | undefined;
  for (const row of rows) {
    const json = row['summary_json'];
    if (typeof json !== 'string') continue;
    let part: IdentitySummary;
    try {
      part = JSON.parse(json) as IdentitySummary;
    } catch {
      continue; // written by something else: left out of the merge
    }
    if (typeof part.identityLost !== 'number' || !Array.isArray(part.subscriptions)) continue;
    out ??= { methods: {}, identityLost: 0, subscriptions: [] };
    out.identityLost += part.identityLost;
    for (const [method, n] of Object.entries(part.methods ?? {}) as [IdentityMethod, number][])
      out.methods[method] = (out.methods[method] ?? 0) + n;
    out.subscriptions.push(...part.subscriptions);
  }
  return out;
}
