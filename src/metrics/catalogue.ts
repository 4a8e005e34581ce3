/**
 * The metric catalogue (docs/metrics.md): every metric glassbench reports, its kind, unit, scope, what it
 * starts and ends at, the record field that carries its samples and its InfluxDB field. A name that is not here
 * cannot be recorded or read (`MetricName`), and a threshold on it is an error. Everything that maps record fields
 * to metrics (the collector, the sinks, compare, the report, the load steps' table) derives from these rows;
 * docs/metrics.md is rendered from them (metrics-doc.ts).
 *
 * Adding a metric: one row in catalogue-frame-path.ts or catalogue-ai-system.ts, and the line that measures it.
 */
import type { StatsSample } from '../protocol/runner-ipc.js';
import { AI_SYSTEM_METRICS } from './catalogue-ai-system.js';
import { FRAME_PATH_METRICS } from './catalogue-frame-path.js';
import type { AiStageName, MetricField, MetricRow, MetricScope } from './catalogue-row.js';
import type { FrameRecord, SpeechSampleRecord } from './types.js';

export type { AiStageName, MetricField, MetricRow, MetricScope } from './catalogue-row.js';

export const METRICS = [...FRAME_PATH_METRICS, ...AI_SYSTEM_METRICS] as const;

type Row = (typeof METRICS)[number];
/** Every metric's name: recording or reading a metric that is not in the catalogue is a type error. */
export type MetricName = Row['name'];
/** A metric whose samples a record field of type `R` carries. */
type FieldRow<R extends MetricField['record']> = Extract<Row, { field: { record: R } }>;

/** One catalogue row, as the parts of the harness that take any row see it. */
export interface MetricDefinition extends MetricRow {
  name: MetricName;
}

const BY_NAME = new Map<string, MetricDefinition>(METRICS.map((m) => [m.name, m]));

/** The row of `name`, or undefined when `name` (user input: a threshold, a compare tolerance) is no metric. */
export function findMetric(name: string): MetricDefinition | undefined {
  return BY_NAME.get(name);
}

export function isMetricName(name: string): name is MetricName {
  return BY_NAME.has(name);
}

function rowsWith<R extends MetricField['record']>(record: R): FieldRow<R>[] {
  return METRICS.filter((m): m is FieldRow<R> => 'field' in m && m.field.record === record);
}

/** A metric carried by a plain number field of a FrameRecord (not one AI stage of `aiStagesMs`). */
export interface FrameFieldMetric {
  metric: MetricName;
  field: Exclude<Extract<MetricField, { record: 'FrameRecord' }>['key'], 'aiStagesMs'>;
}

/**
 * FrameRecord fields that carry a trend, of trends with this scope (receipt: per receiver; frame: the AI hook's).
 * A counter a FrameRecord field carries (freeze_ms) is added up where it is counted, never sampled.
 */
export function frameFieldMetrics(scope: MetricScope): FrameFieldMetric[] {
  const out: FrameFieldMetric[] = [];
  for (const m of rowsWith('FrameRecord'))
    if (m.scope === scope && m.kind === 'trend' && m.field.key !== 'aiStagesMs')
      out.push({ metric: m.name, field: m.field.key });
  return out;
}

/** The latencies of one frame at one receiver, each a FrameRecord field. */
export const FRAME_RECEIPT_METRICS = frameFieldMetrics('receipt');

/** Metrics a receiver's own report of a frame carries (the marker's read time), not its FrameRecord. */
export const RECEIVED_FIELD_METRICS = rowsWith('ReceivedFrameRecord').map((m) => ({
  metric: m.name,
  field: m.field.key,
}));

/** The field of each named metric in a FrameRecord. */
function frameFields(names: readonly FieldRow<'FrameRecord'>['name'][]): FrameFieldMetric[] {
  return names.map((name) => {
    const row = BY_NAME.get(name);
    const field = row?.field;
    if (field?.record !== 'FrameRecord' || field.key === 'aiStagesMs') throw new Error(`${name}: no FrameRecord field`);
    return { metric: name, field: field.key };
  });
}

/** Per load step in the summary and report: the frame path's latencies (render_ms, browsers only, is not one). */
export const FRAME_STAGE_METRICS = frameFields([
  'g2g_latency_ms',
  'frame_latency_ms',
  'uplink_ms',
  'sfu_ms',
  'downlink_ms',
]);

/** The metric of one AI stage's time (`ai_<stage>_ms`), or undefined for a stage the catalogue does not know. */
export function aiStageMetric(stage: string): MetricName | undefined {
  for (const m of rowsWith('FrameRecord')) if (m.field.key === 'aiStagesMs' && m.field.stage === stage) return m.name;
  return undefined;
}

/** The AI stage whose time an InfluxDB `frame` field carries (`ai_inference_ms` -> inference). */
export function aiStageOfInfluxField(influxField: string): AiStageName | undefined {
  for (const m of rowsWith('FrameRecord'))
    if (m.field.key === 'aiStagesMs' && m.influx.field === influxField) return m.field.stage;
  return undefined;
}

/** A metric carried by a speech record's field, per utterance or per listener. */
export interface SpeechFieldMetric {
  metric: MetricName;
  field: Extract<MetricField, { record: 'SpeechSampleRecord' }>['key'] & keyof SpeechSampleRecord;
  influxField: string;
}

export const SPEECH_METRICS: readonly (SpeechFieldMetric & { scope: MetricScope })[] = rowsWith(
  'SpeechSampleRecord',
).map((m) => ({
  metric: m.name,
  field: m.field.key,
  influxField: m.influx.field,
  scope: m.scope,
}));

/** Browser receivers' getStats samples: which metric each sample field feeds (one table for every sink). */
type StatsFieldMetric = readonly [
  MetricName,
  Extract<MetricField, { record: 'StatsSample' }>['key'] & keyof StatsSample,
];
const statsRows = rowsWith('StatsSample');
export const STATS_TRENDS: readonly StatsFieldMetric[] = statsRows
  .filter((m) => m.kind === 'trend')
  .map((m) => [m.name, m.field.key]);
/** counters: each sample carries the increment since the previous one */
export const STATS_COUNTERS: readonly StatsFieldMetric[] = statsRows
  .filter((m) => m.kind === 'counter')
  .map((m) => [m.name, m.field.key]);

/** The InfluxDB `webrtc` field of each stats sample field that carries a metric. */
export const STATS_INFLUX_FIELDS: readonly (readonly [string, StatsFieldMetric[1]])[] = statsRows.map((m) => [
  m.influx.field,
  m.field.key,
]);

/** The InfluxDB `frame` field of each metric a FrameRecord field carries (AI stages included). */
export function frameInfluxFields(record: FrameRecord): [string, number][] {
  const out: [string, number][] = [];
  for (const m of rowsWith('FrameRecord')) {
    const value = m.field.key === 'aiStagesMs' ? record.aiStagesMs?.[m.field.stage] : record[m.field.key];
    if (value !== undefined) out.push([m.influx.field, value]);
  }
  return out;
}
