/**
 * One line of an SFU's telemetry stream, checked where it enters: the stream comes over the network (a
 * reference SFU on another host), so a line is a record of a known kind whose fields have their types, or it
 * is refused with the reason (counted and reported, never guessed at).
 */
import type { TelemetryRecord } from '../protocol/telemetry.js';

type FieldType = 'string' | 'number' | 'object' | 'array';
/** field -> its type; `?` after it: the field may be absent */
type Spec = Record<string, FieldType | `${FieldType}?`>;

const SPECS: Record<TelemetryRecord['k'], Spec> = {
  in: { f: 'string', pub: 'string', ms: 'number' },
  out: { f: 'string', sub: 'string', ms: 'number' },
  res: {
    ms: 'number',
    cpuPct: 'number',
    rssMb: 'number',
    loopDelayP99Ms: 'number',
    loopDelayMaxMs: 'number',
    worker: 'number?',
  },
  worker: {
    ms: 'number',
    worker: 'number',
    pid: 'number',
    state: 'string',
    reason: 'string?',
    closed: 'object?',
    restarts: 'number?',
  },
  ai: {
    f: 'string',
    pub: 'string',
    readyMs: 'number',
    outcome: 'string',
    queueMs: 'number?',
    stages: 'object?',
    hookMs: 'number?',
    device: 'string?',
    batch: 'number?',
    batchWaitMs: 'number?',
    reason: 'string?',
  },
  dev: { ms: 'number', devices: 'array' },
  speech: {
    pub: 'string',
    n: 'number',
    speechStartMs: 'number',
    speechEndMs: 'number',
    asrDoneMs: 'number?',
    mtDoneMs: 'number?',
    ttsFirstAudioMs: 'number?',
    text: 'string?',
    translation: 'string?',
    error: 'string?',
  },
  voice: { pub: 'string', n: 'number', ms: 'number' },
  event: { ms: 'number', message: 'string' },
};

const DEVICE: Spec = {
  name: 'string',
  utilisationPct: 'number',
  queueLength: 'number',
  calls: 'number',
  gpuUtilisationPct: 'number?',
  memoryUsedMb: 'number?',
};
const CLOSED: Spec = { rooms: 'number', publishers: 'number', subscribers: 'number' };
const ENUMS: Partial<Record<TelemetryRecord['k'], [string, readonly string[]]>> = {
  worker: ['state', ['exited', 'started']],
  ai: ['outcome', ['done', 'dropped', 'failed']],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOk(value: unknown, type: FieldType): boolean {
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (type === 'array') return Array.isArray(value);
  if (type === 'object') return isObject(value);
  return typeof value === 'string';
}

/** The first field of `value` that `spec` refuses, as `field: expected a T`, or undefined. */
function refusal(value: Record<string, unknown>, spec: Spec, where: string): string | undefined {
  for (const [field, declared] of Object.entries(spec)) {
    const optional = declared.endsWith('?');
    const type = declared.replace('?', '') as FieldType;
    const v = value[field];
    if (v === undefined && optional) continue;
    if (!typeOk(v, type)) return `${where}${field}: expected a ${type === 'number' ? 'finite number' : type}`;
  }
  return undefined;
}

/** the longest line taken: a record is a few hundred characters; an SFU's event message a sentence */
export const MAX_TELEMETRY_LINE_CHARS = 65_536;

/** The record a line carries, or 'hello' (the stream's first line); throws with the reason for any other line. */
export function parseTelemetryLine(line: string): TelemetryRecord | 'hello' {
  if (line.length > MAX_TELEMETRY_LINE_CHARS)
    throw new Error(`not JSON of at most ${MAX_TELEMETRY_LINE_CHARS} characters (${line.length})`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  if (!isObject(value)) throw new Error('not a JSON object');
  const kind = value['k'];
  if (kind === 'hello') return 'hello';
  if (typeof kind !== 'string' || !Object.hasOwn(SPECS, kind))
    throw new Error(`k: expected one of hello, ${Object.keys(SPECS).join(', ')}`);
  const k = kind as TelemetryRecord['k'];
  const problem =
    refusal(value, SPECS[k], '') ??
    (k === 'dev'
      ? (value['devices'] as unknown[])
          .map((d, i) => (isObject(d) ? refusal(d, DEVICE, `devices[${i}].`) : `devices[${i}]: expected an object`))
          .find((p) => p !== undefined)
      : undefined) ??
    (k === 'worker' && isObject(value['closed']) ? refusal(value['closed'], CLOSED, 'closed.') : undefined) ??
    (k === 'ai' && isObject(value['stages'])
      ? Object.entries(value['stages'])
          .filter(([, ms]) => !typeOk(ms, 'number'))
          .map(([stage]) => `stages.${stage}: expected a finite number`)[0]
      : undefined);
  if (problem) throw new Error(`${k} record: ${problem}`);
  const choice = ENUMS[k];
  if (choice && !choice[1].includes(value[choice[0]] as string))
    throw new Error(`${k} record: ${choice[0]}: expected one of ${choice[1].join(', ')}`);
  return value as unknown as TelemetryRecord;
}
