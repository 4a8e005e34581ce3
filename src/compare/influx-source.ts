/**
 * Runs read back from InfluxDB for `compare` (`influx:<testid>`, `influx:latest`): the frame-level points
 * of measurements `frame` and `speech` and the run's `summary` points, through the InfluxQL `/query`
 * endpoint (InfluxDB 1.x; 2.x and 3.x answer it too with a DBRP mapping). Results are read in chunks, so a
 * long run does not need one huge answer.
 */
import { GlassbenchError } from '../errors.js';
import { aiStageOfInfluxField, type MetricName, SPEECH_METRICS } from '../metrics/catalogue.js';
import type { InfluxOptions } from '../sinks/types.js';
import { type RunSamples, SampleSink } from './samples.js';

type Row = Record<string, unknown>;

const QUERY_TIMEOUT_MS = 30_000;

/** InfluxQL string literal */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** InfluxQL identifier (tag keys from `--tag`) */
function identifier(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export class InfluxReader {
  constructor(private readonly options: InfluxOptions) {
    if (options.db === undefined && options.bucket === undefined)
      throw new GlassbenchError(
        'INVALID_INPUT',
        'reading runs from InfluxDB needs --influx-db (or --influx-bucket with a DBRP mapping)',
      );
  }

  private get target(): string {
    return `${this.options.url} (${this.options.db ?? this.options.bucket ?? ''})`;
  }

  /** Every row the query returns, each with its series' tags, in chunks. */
  async query(q: string): Promise<Row[]> {
    const db = this.options.db ?? this.options.bucket ?? '';
    const url = `${this.options.url}/query?db=${encodeURIComponent(db)}&epoch=u&chunked=true&chunk_size=10000&q=${encodeURIComponent(q)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.options.token ? { authorization: `Token ${this.options.token}` } : {},
        signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
      });
    } catch (error) {
      throw new GlassbenchError('RUN_FAILED', `InfluxDB at ${this.target} did not answer: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok)
      throw new GlassbenchError(
        'RUN_FAILED',
        `InfluxDB at ${this.target} answered ${response.status}: ${text.slice(0, 200)}`,
      );
    const rows: Row[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const body = JSON.parse(line) as {
        results?: {
          error?: string;
          series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
        }[];
        error?: string;
      };
      if (body.error) throw new GlassbenchError('RUN_FAILED', `InfluxDB at ${this.target}: ${body.error}`);
      for (const result of body.results ?? []) {
        if (result.error) throw new GlassbenchError('RUN_FAILED', `InfluxDB at ${this.target}: ${result.error}`);
        for (const series of result.series ?? []) {
          for (const values of series.values) {
            const row: Row = { ...series.tags };
            series.columns.forEach((c, i) => (row[c] = values[i]));
            rows.push(row);
          }
        }
      }
    }
    return rows;
  }

  /** The samples of run `testid`; an error naming it when InfluxDB has nothing of it. */
  async samples(testid: string, variant?: string): Promise<RunSamples> {
    const summary = await this.query(`SELECT * FROM summary WHERE testid = ${literal(testid)} LIMIT 1`);
    const meta = summary[0];
    if (!meta)
      throw new GlassbenchError(
        'INVALID_INPUT',
        `InfluxDB at ${this.target} has no run with testid ${testid} (no summary points)`,
      );
    const sink = new SampleSink();
    const where = `testid = ${literal(testid)}${variant !== undefined ? ` AND variant = ${literal(variant)}` : ''}`;
    for (const row of await this.query(`SELECT * FROM frame WHERE ${where}`)) sink.push(frameRecord(row));
    for (const row of await this.query(`SELECT * FROM speech WHERE ${where}`)) sink.push(speechRecord(row));
    if (variant !== undefined && sink.values.size === 0)
      throw new GlassbenchError('INVALID_INPUT', `InfluxDB has no points of run ${testid} with variant ${variant}`);
    return {
      source: `influx:${testid}`,
      runId: testid,
      scenario: String(meta['scenario'] ?? ''),
      status: String(meta['status'] ?? ''),
      startedAt: new Date(Number(meta['time']) / 1000).toISOString(),
      values: sink.values,
      clusters: sink.clusters,
    };
  }

  /**
   * The medians of `metric` of the passing runs of `scenario` carrying `tags`, oldest first (at most the last
   * `limit`): the history the change-point check looks at.
   */
  async history(
    scenario: string,
    tags: Record<string, string>,
    metric: MetricName,
    limit = 30,
  ): Promise<{ testid: string; timeMs: number; p50: number }[]> {
    const filters = [
      `scenario = ${literal(scenario)}`,
      `metric = ${literal(metric)}`,
      ...Object.entries(tags).map(([k, v]) => `${identifier(k)} = ${literal(v)}`),
    ];
    const rows = await this.query(`SELECT p50, status FROM summary WHERE ${filters.join(' AND ')} GROUP BY testid`);
    return rows
      .filter((r) => r['status'] === 'passed' && typeof r['p50'] === 'number')
      .map((r) => ({ testid: String(r['testid']), timeMs: Number(r['time']) / 1000, p50: r['p50'] as number }))
      .sort((a, b) => a.timeMs - b.timeMs)
      .slice(-limit);
  }

  /**
   * The most recent run of `scenario` that passed, carrying every tag in `tags`, other than `exclude`
   * (the candidate itself); undefined when there is none.
   */
  async latestPassing(scenario: string, tags: Record<string, string>, exclude?: string): Promise<string | undefined> {
    const filters = [
      `scenario = ${literal(scenario)}`,
      ...Object.entries(tags).map(([k, v]) => `${identifier(k)} = ${literal(v)}`),
    ];
    const rows = await this.query(`SELECT status FROM summary WHERE ${filters.join(' AND ')} GROUP BY testid`);
    let best: { testid: string; time: number } | undefined;
    for (const row of rows) {
      const testid = String(row['testid'] ?? '');
      const time = Number(row['time']);
      if (testid === '' || testid === exclude || row['status'] !== 'passed') continue;
      if (!best || time > best.time) best = { testid, time };
    }
    return best?.testid;
  }
}

const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A `frame` point in the shape of a frames.ndjson.gz record (what SampleSink and the report read): its number
 * fields are the record's in snake case, an AI stage's time goes back into `aiStagesMs`.
 */
export function frameRecord(row: Row): Row {
  const record: Row = { frameId: row['frame_id'], publisher: row['publisher'], warmup: row['warmup'] === true };
  const stages: Record<string, number> = {};
  for (const [key, value] of Object.entries(row)) {
    if (typeof value !== 'number') continue;
    const stage = aiStageOfInfluxField(key);
    if (stage) stages[stage] = value;
    else record[camel(key)] = value;
  }
  record['aiStagesMs'] = stages;
  return record;
}

/** A `speech` point in the shape of a frames.ndjson.gz speech record. */
export function speechRecord(row: Row): Row {
  const record: Row = { kind: 'speech', publisher: row['publisher'], n: row['n'], warmup: row['warmup'] === true };
  for (const { field, influxField } of SPEECH_METRICS)
    if (typeof row[influxField] === 'number') record[field] = row[influxField];
  return record;
}
