/**
 * Scenario validation: schema first, then semantic checks (durations, target, thresholds against the metric
 * catalogue). Every problem is reported, each as `file:line:col path: reason`.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { distance } from 'fastest-levenshtein';
import { checkAgainstCatalogue, checkKeyAgainstCatalogue, parseThresholdExpression, parseThresholdKey } from '../budgets/parse.js';
import type { ThresholdSpec } from '../budgets/types.js';
import { GlassbenchError } from '../errors.js';
import { parseDurationMs } from './duration.js';
import { formatPath, loadScenarioFile, parseScenarioText, type LoadedDocument, type PathSegment } from './load.js';
import { scenarioSchema } from './schema.js';
import type { Executor, LinkImpairment, NetworkProfile, PeerGroup, Scenario, SfuOptions, Target, Variant, VideoOptions } from './types.js';
import type { AiOptions, AiStageSpec, SpeechOptions, SyntheticModel } from '../protocol/ai.js';

// verbose: errors carry their schema, so an unknown key can be told the keys that exist there
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });

/** `unknown key`, with the nearest known key when one is close (a typo), else the known keys. */
export function unknownKey(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= (best.length >= 4 ? Math.max(2, Math.floor(best.length / 3)) : 1)) return `unknown key (did you mean "${best}"?)`;
  return known.length > 0 && known.length <= 12 ? `unknown key (known here: ${known.join(', ')})` : 'unknown key';
}
const validateSchema = ajv.compile(scenarioSchema);

type Raw = Record<string, unknown>;

class Problems {
  constructor(
    private readonly doc: LoadedDocument,
    readonly list: string[] = [],
    private readonly prefix: PathSegment[] = [],
  ) {}

  /** The same list, with every path under `prefix` (a variant's own `ai` block). */
  under(prefix: PathSegment[]): Problems {
    return new Problems(this.doc, this.list, [...this.prefix, ...prefix]);
  }

  /** Orders problems as they appear in the file. */
  sortByPlace(): void {
    const place = (text: string): number[] => (/:(\d+):(\d+) /.exec(text)?.slice(1).map(Number) ?? [0, 0]);
    this.list.sort((a, b) => {
      const [la = 0, ca = 0] = place(a);
      const [lb = 0, cb = 0] = place(b);
      return la - lb || ca - cb;
    });
  }

  add(relative: PathSegment[], reason: string, options: { key?: boolean } = {}): void {
    const path = [...this.prefix, ...relative];
    this.list.push(`${this.doc.locate(path, options)} ${formatPath(path)}: ${reason}`);
  }
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function reportSchemaError(problems: Problems, root: unknown, error: ErrorObject): void {
  const path = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const known = Object.keys((error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      problems.add([...path, key], unknownKey(key, known), { key: true });
      return;
    }
    case 'required':
      problems.add(path, `missing required key "${String(params['missingProperty'])}"`);
      return;
    case 'enum':
      problems.add(path, `must be one of ${(params['allowedValues'] as unknown[]).map(show).join(', ')}, got ${show(valueAt(root, path))}`);
      return;
    default:
      problems.add(path, `${error.message ?? 'is invalid'}, got ${show(valueAt(root, path))}`);
  }
}

function durationAt(problems: Problems, raw: Raw, key: string, path: PathSegment[], fallbackMs: number): number {
  if (raw[key] === undefined) return fallbackMs;
  const ms = parseDurationMs(raw[key]);
  if (ms === undefined) {
    problems.add([...path, key], `must be a duration like 10s, 500ms, 2m or a number of ms, got ${show(raw[key])}`);
    return fallbackMs;
  }
  return ms;
}

function toTarget(problems: Problems, value: unknown): Target {
  if (value === undefined || value === 'reference') return { type: 'reference' };
  if (typeof value === 'string') {
    problems.add(['target'], `must be "reference" or { whip: URL, whep: URL }, got ${show(value)}`);
    return { type: 'reference' };
  }
  const raw = value as Raw;
  for (const key of Object.keys(raw)) {
    if (!['whip', 'whep', 'token'].includes(key)) problems.add(['target', key], unknownKey(key, ['whip', 'whep', 'token']), { key: true });
  }
  for (const key of ['whip', 'whep']) {
    const url = raw[key];
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) {
      problems.add(['target', key], `must be an http(s) URL, got ${show(url)}`);
    }
  }
  if (raw['token'] !== undefined && typeof raw['token'] !== 'string') problems.add(['target', 'token'], 'must be a string');
  const target: Target = { type: 'external', whipUrl: String(raw['whip']), whepUrl: String(raw['whep']) };
  if (typeof raw['token'] === 'string') target.token = raw['token'];
  return target;
}

function toThresholds(problems: Problems, value: unknown): ThresholdSpec[] {
  const specs: ThresholdSpec[] = [];
  for (const [key, entries] of Object.entries((value as Record<string, unknown[]> | undefined) ?? {})) {
    let parsedKey;
    try {
      parsedKey = parseThresholdKey(key);
      checkKeyAgainstCatalogue(parsedKey);
    } catch (error) {
      problems.add(['thresholds', key], (error as Error).message, { key: true });
      continue;
    }
    for (const [i, entry] of entries.entries()) {
      const path: PathSegment[] = ['thresholds', key, i];
      const raw: Raw = typeof entry === 'string' ? { threshold: entry } : (entry as Raw);
      for (const k of Object.keys(raw)) {
        if (!['threshold', 'abortOnFail', 'delayAbortEval'].includes(k)) problems.add([...path, k], unknownKey(k, ['threshold', 'abortOnFail', 'delayAbortEval']), { key: true });
      }
      if (typeof raw['threshold'] !== 'string') {
        problems.add(path, 'must be a string like "p(95)<400" or { threshold, abortOnFail, delayAbortEval }');
        continue;
      }
      if (raw['abortOnFail'] !== undefined && typeof raw['abortOnFail'] !== 'boolean') {
        problems.add([...path, 'abortOnFail'], `must be true or false, got ${show(raw['abortOnFail'])}`);
      }
      try {
        const expression = parseThresholdExpression(raw['threshold']);
        checkAgainstCatalogue(parsedKey, expression);
        specs.push({
          key,
          metric: parsedKey.metric,
          tags: parsedKey.tags,
          expression,
          abortOnFail: raw['abortOnFail'] === true,
          delayAbortEvalMs: durationAt(problems, raw, 'delayAbortEval', path, 0),
        });
      } catch (error) {
        problems.add(typeof entry === 'string' ? path : [...path, 'threshold'], (error as Error).message);
      }
    }
  }
  return specs;
}

/** The most concurrent peers or calls one run may plan (a bound on load loops). */
const MAX_PLANNED_PEERS = 10_000;

function toLink(problems: Problems, raw: Raw | undefined, path: PathSegment[]): LinkImpairment {
  const v = raw ?? {};
  let lossPct = 0;
  const loss = v['loss'];
  if (loss !== undefined) {
    const text = typeof loss === 'string' ? loss.trim() : String(loss);
    const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text);
    const value = match ? Number(match[1]) : Number.NaN;
    if (!(value >= 0 && value <= 100)) problems.add([...path, 'loss'], `must be a percentage from 0 to 100 like 5% or 0.5, got ${show(loss)}`);
    else lossPct = value;
  }
  const burst = (v['burstLoss'] as number | undefined) ?? 0;
  if (burst > 0 && burst < 1) problems.add([...path, 'burstLoss'], `is the mean length of a loss burst in packets (1 or more), got ${show(burst)}`);
  if (burst > 0 && lossPct === 0) problems.add([...path, 'burstLoss'], 'needs loss: the long-run share of packets lost');
  const delayMs = durationAt(problems, v, 'delay', path, 0);
  const jitterMs = durationAt(problems, v, 'jitter', path, 0);
  if (jitterMs > delayMs) problems.add([...path, 'jitter'], `must not exceed delay (${delayMs} ms): a packet cannot arrive before it was sent`);
  return { delayMs, jitterMs, lossPct, burstLossPackets: burst, rateKbps: (v['rateKbps'] as number | undefined) ?? 0 };
}

function toNetwork(problems: Problems, raw: Raw | undefined, path: PathSegment[]): NetworkProfile | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const uplink = toLink(problems, raw['uplink'] as Raw | undefined, [...path, 'uplink']);
  const downlink = toLink(problems, raw['downlink'] as Raw | undefined, [...path, 'downlink']);
  const rawSchedule = Array.isArray(raw['schedule']) ? (raw['schedule'] as Raw[]) : [];
  let previous = -1;
  const schedule = rawSchedule.map((entry, i) => {
    const at = [...path, 'schedule', i];
    const atMs = durationAt(problems, entry, 'at', at, 0);
    if (atMs <= previous) problems.add([...at, 'at'], 'schedule entries must be in time order');
    previous = atMs;
    return {
      atMs,
      // an entry changes what it names; the other direction keeps the settings before it
      uplink: entry['uplink'] !== undefined ? toLink(problems, entry['uplink'] as Raw, [...at, 'uplink']) : uplink,
      downlink: entry['downlink'] !== undefined ? toLink(problems, entry['downlink'] as Raw, [...at, 'downlink']) : downlink,
    };
  });
  return { uplink, downlink, schedule };
}

function toExecutor(problems: Problems, raw: Raw | undefined, slotsPerRoom: number, rooms: number): Executor {
  if (raw === undefined || raw === null || typeof raw !== 'object') return { type: 'constant-peers' };
  const type = raw['type'];
  const allowed: Record<string, string[]> = {
    'constant-peers': ['type'],
    'ramping-peers': ['type', 'startTarget', 'stages'],
    'arrival-rate': ['type', 'rate', 'timeUnit', 'callDuration', 'maxCalls'],
  };
  const keys = allowed[String(type)];
  if (!keys) return { type: 'constant-peers' }; // the schema said so
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key)) problems.add(['executor', key], `does not apply to ${String(type)} (its keys: ${keys.join(', ')})`, { key: true });
  }
  if (type === 'ramping-peers') {
    const rawStages = Array.isArray(raw['stages']) ? (raw['stages'] as Raw[]) : [];
    if (rawStages.length === 0) problems.add(['executor'], 'ramping-peers needs stages: [ { duration: 10s, target: 20 }, ... ]');
    const stages = rawStages.map((stage, i) => ({ durationMs: durationAt(problems, stage, 'duration', ['executor', 'stages', i], 0), target: (stage['target'] as number | undefined) ?? 0 }));
    const startTarget = (raw['startTarget'] as number | undefined) ?? 0;
    const places = slotsPerRoom * rooms;
    for (const [i, stage] of stages.entries()) {
      if (stage.durationMs <= 0) problems.add(['executor', 'stages', i, 'duration'], 'must be longer than 0');
      if (stage.target > places) problems.add(['executor', 'stages', i, 'target'], `is more subscribers than the topology has places (${rooms} room(s) x ${slotsPerRoom} subscriber(s)): raise rooms or the subscriber groups' counts`);
    }
    if (startTarget > places) problems.add(['executor', 'startTarget'], `is more subscribers than the topology has places (${places})`);
    if (slotsPerRoom === 0) problems.add(['executor'], 'ramping-peers ramps subscribers: add a subscriber group (its count is the places per room)');
    return { type: 'ramping-peers', startTarget, stages };
  }
  if (type === 'arrival-rate') {
    if (raw['rate'] === undefined) problems.add(['executor'], 'arrival-rate needs rate: calls started per timeUnit (default 1s)');
    if (raw['callDuration'] === undefined) problems.add(['executor'], 'arrival-rate needs callDuration: how long each call lasts');
    const unitMs = durationAt(problems, raw, 'timeUnit', ['executor'], 1000);
    if (unitMs <= 0) problems.add(['executor', 'timeUnit'], 'must be longer than 0');
    const callDurationMs = durationAt(problems, raw, 'callDuration', ['executor'], 0);
    if (raw['callDuration'] !== undefined && callDurationMs <= 0) problems.add(['executor', 'callDuration'], 'must be longer than 0');
    const maxCalls = (raw['maxCalls'] as number | undefined) ?? 100;
    return { type: 'arrival-rate', ratePerSecond: ((raw['rate'] as number | undefined) ?? 1) * (1000 / Math.max(1, unitMs)), callDurationMs, maxCalls };
  }
  return { type: 'constant-peers' };
}

/** The reference SFU's calibration knobs, defaults filled (the schema checked their ranges). */
function sfuOptionsOf(raw: Raw): SfuOptions {
  return { addDelayMs: (raw['addDelayMs'] as number | undefined) ?? 0, burnCpuMsPerFrame: (raw['burnCpuMsPerFrame'] as number | undefined) ?? 0 };
}

function toVideo(problems: Problems, raw: Raw | undefined, path: PathSegment[]): VideoOptions {
  const v = raw ?? {};
  return {
    width: (v['width'] as number | undefined) ?? 640,
    height: (v['height'] as number | undefined) ?? 360,
    fps: (v['fps'] as number | undefined) ?? 30,
    bitrateKbps: (v['bitrateKbps'] as number | undefined) ?? 600,
    keyframeIntervalMs: durationAt(problems, v, 'keyframeInterval', [...path, 'video'], 2000),
    source: (v['source'] as VideoOptions['source'] | undefined) ?? 'synthetic',
  };
}

function toAi(problems: Problems, raw: Raw | undefined, target: Target): AiOptions {
  const a = raw ?? {};
  const workers = (a['workers'] as number | undefined) ?? 1;
  const rawStages = Array.isArray(a['stages']) ? (a['stages'] as Raw[]) : [];
  const stages: AiStageSpec[] = rawStages.map((stage, i) => {
    const rawModel = (stage['model'] as Raw | undefined) ?? {};
    const name = stage['name'] as string;
    if (rawModel['vp8'] !== undefined) {
      if (name !== 'decode' && name !== 'encode') problems.add(['ai', 'stages', i, 'model', 'vp8'], 'vp8 is a model of the decode and encode stages');
      const bitrateKbps = (rawModel['vp8'] as Raw)['bitrateKbps'] as number | undefined;
      return { name, model: { vp8: bitrateKbps === undefined ? {} : { bitrateKbps } } };
    }
    if (rawModel['detector'] !== undefined) {
      if (name !== 'inference') problems.add(['ai', 'stages', i, 'model', 'detector'], 'a detector is a model of the inference stage');
      if (a['placement'] !== 'edge') problems.add(['ai', 'stages', i, 'model', 'detector'], 'the face detector runs in the browser: it needs placement: edge');
      return { name, model: { detector: 'face' as const } };
    }
    if (rawModel['filter'] !== undefined) {
      if (name !== 'inference') problems.add(['ai', 'stages', i, 'model', 'filter'], 'a filter is a model of the inference stage');
      return { name, model: { filter: rawModel['filter'] as 'blur' | 'edges' } };
    }
    const synthetic = (rawModel['synthetic'] as Raw | undefined) ?? {};
    const path = ['ai', 'stages', i, 'model', 'synthetic'];
    const model: SyntheticModel = {};
    if (synthetic['fixedMs'] !== undefined) model.fixedMs = synthetic['fixedMs'] as number;
    if (synthetic['p50'] !== undefined) model.p50Ms = durationAt(problems, synthetic, 'p50', path, 0);
    if (synthetic['p99'] !== undefined) model.p99Ms = durationAt(problems, synthetic, 'p99', path, 0);
    if (model.fixedMs === undefined && model.p50Ms === undefined) problems.add(path, 'needs fixedMs (ms), or p50 (and optionally p99)');
    if (model.fixedMs !== undefined && model.p50Ms !== undefined) problems.add(path, 'give fixedMs or p50/p99, not both');
    if (model.p50Ms !== undefined && model.p99Ms !== undefined && model.p99Ms < model.p50Ms) problems.add([...path, 'p99'], `must be at least p50 (${model.p50Ms} ms)`);
    return { name, model: { synthetic: model } };
  });
  const names0 = stages.map((s) => s.name);
  if (stages.some((s) => 'vp8' in s.model || 'filter' in s.model)) {
    // the real video path: VP8 in, pixels, VP8 out, in one worker thread per track (codec state is sequential)
    const decode = stages.find((s) => s.name === 'decode');
    const encode = stages.find((s) => s.name === 'encode');
    if (!decode || !('vp8' in decode.model) || !encode || !('vp8' in encode.model) || names0[0] !== 'decode' || names0[names0.length - 1] !== 'encode') {
      problems.add(['ai', 'stages'], 'the real video path is decode (vp8), then optionally inference (a filter or a synthetic model), then encode (vp8)');
    }
    if ((a['workers'] as number | undefined) !== undefined && a['workers'] !== 1) problems.add(['ai', 'workers'], 'the real video path decodes and encodes in order, one frame at a time per track: workers must be 1');
    if ((a['worker'] as Raw | undefined)?.['type'] === 'external') problems.add(['ai', 'worker'], 'the real video path runs in the SFU; an external worker gets synthetic stages');
    if (a['devices'] !== undefined) problems.add(['ai', 'devices'], 'the real video path runs on the SFU\'s CPU, not on other devices');
  }
  const placement = raw === undefined ? 'none' : ((a['placement'] as AiOptions['placement'] | undefined) ?? 'cloud');
  const rawSpeech = a['speech'] as Raw | undefined;
  if (placement === 'cloud' && raw !== undefined && rawStages.length === 0 && rawSpeech === undefined) problems.add(['ai', 'stages'], 'placement cloud needs at least one stage (or speech)');
  if (placement === 'cloud' && target.type === 'external') problems.add(['ai', 'placement'], 'the AI hook runs in the reference SFU; use target: reference');
  if (placement === 'edge') {
    if (rawStages.length === 0) problems.add(['ai', 'stages'], 'placement edge needs at least one stage');
    if (stages.some((s) => 'vp8' in s.model || 'filter' in s.model)) problems.add(['ai', 'stages'], 'at the edge the page processes raw frames before its encoder: use synthetic models or detector: face');
    for (const key of ['speech', 'devices', 'worker', 'mode', 'queue', 'workers']) {
      if (a[key] !== undefined) problems.add(['ai', key], `${key} belongs to the cloud hook; the edge runs one frame at a time in each browser publisher`);
    }
  }
  const names = stages.map((s) => s.name);
  for (const [i, name] of names.entries()) if (names.indexOf(name) !== i) problems.add(['ai', 'stages', i, 'name'], `stage ${name} is listed twice`);
  const queue = (a['queue'] as Raw | undefined) ?? {};
  const worker = a['worker'] as Raw | undefined;
  const devices = Array.isArray(a['devices'])
    ? (a['devices'] as Raw[]).map((d, i) => ({ name: (d['name'] as string | undefined) ?? `sim${i}`, speed: (d['speed'] as number | undefined) ?? 1, concurrency: (d['concurrency'] as number | undefined) ?? 1 }))
    : [{ name: 'sim0', speed: 1, concurrency: workers }];
  const deviceNames = devices.map((d) => d.name);
  for (const [i, name] of deviceNames.entries()) if (deviceNames.indexOf(name) !== i) problems.add(['ai', 'devices', i, 'name'], `device ${name} is listed twice`);
  if (worker?.['type'] === 'external' && Array.isArray(a['devices'])) problems.add(['ai', 'devices'], 'devices are simulated in the SFU; an external worker is its own device (or use devices: gpus)');
  const gpus = a['devices'] === 'gpus';
  if (typeof a['devices'] === 'string' && !gpus) problems.add(['ai', 'devices'], `must be a list of simulated devices or gpus, got ${show(a['devices'])}`);
  if (gpus && worker?.['type'] !== 'external') problems.add(['ai', 'devices'], 'gpus run the calls in an external worker: add worker: { type: external }');
  if (worker?.['socket'] !== undefined && worker['type'] !== 'external') problems.add(['ai', 'worker', 'socket'], 'only an external worker has a socket');
  let speech: SpeechOptions | undefined;
  if (rawSpeech !== undefined) {
    const engine = <N extends string>(key: 'asr' | 'mt' | 'tts', real: N): { engine: N } | { engine: 'synthetic'; ms: number } => {
      const value = rawSpeech[key];
      const expected = `must be ${real} or { synthetic: <duration> }, got ${show(value)}`;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const keys = Object.keys(value);
        if (keys.length !== 1 || keys[0] !== 'synthetic') problems.add(['ai', 'speech', key], expected);
        return { engine: 'synthetic', ms: durationAt(problems, value as Raw, 'synthetic', ['ai', 'speech', key], 0) };
      }
      if (value !== undefined && value !== real) problems.add(['ai', 'speech', key], expected);
      return { engine: real };
    };
    speech = {
      output: (rawSpeech['output'] as SpeechOptions['output'] | undefined) ?? 'subtitles',
      asr: engine('asr', 'pocketsphinx'),
      mt: engine('mt', 'apertium'),
      tts: engine('tts', 'espeak-ng'),
    };
  }
  return {
    ...(speech ? { speech } : {}),
    placement,
    mode: (a['mode'] as AiOptions['mode'] | undefined) ?? 'inline',
    stages,
    workers,
    queue: { max: (queue['max'] as number | undefined) ?? 4, policy: (queue['policy'] as AiOptions['queue']['policy'] | undefined) ?? 'drop-oldest' },
    devices,
    ...(gpus ? { gpus: true } : {}),
    backend: worker?.['type'] === 'external' ? { type: 'external', ...(typeof worker['socket'] === 'string' ? { socketPath: worker['socket'] } : {}) } : { type: 'in-process' },
    budgetMs: durationAt(problems, a, 'budget', ['ai'], 30),
  };
}

/** Validates a parsed document; throws a GlassbenchError (exit 104) listing every problem. */
export function validateScenario(doc: LoadedDocument): Scenario {
  const problems = new Problems(doc);
  try {
    return checkScenario(doc, problems);
  } catch (error) {
    if (error instanceof GlassbenchError) throw error;
    // the semantic checks met a value of a type the schema already refused: its problems say what is wrong
    if (problems.list.length === 0) problems.add([], `cannot be checked: ${(error as Error).message}`);
    problems.sortByPlace();
    throw new GlassbenchError('INVALID_INPUT', `${doc.file}: invalid scenario (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'})`, { problems: problems.list });
  }
}

function checkScenario(doc: LoadedDocument, problems: Problems): Scenario {
  const root = doc.value;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    problems.add([], 'a scenario must be a mapping with name, duration and peers');
    throw new GlassbenchError('INVALID_INPUT', `${doc.file}: invalid scenario`, { problems: problems.list });
  }
  if (!validateSchema(root)) {
    for (const error of validateSchema.errors ?? []) reportSchemaError(problems, root, error);
  }
  const raw = root as Raw;
  let durationMs = durationAt(problems, raw, 'duration', [], 0);
  if (raw['duration'] !== undefined && durationMs <= 0 && problems.list.length === 0) {
    problems.add(['duration'], `must be longer than 0, got ${show(raw['duration'])}`);
  }
  const target = toTarget(problems, raw['target']);
  const thresholds = toThresholds(problems, raw['thresholds']);
  const rawPeers = Array.isArray(raw['peers']) ? (raw['peers'] as Raw[]) : [];
  const peers: PeerGroup[] = rawPeers.map((p, i) => {
    const group: PeerGroup = {
      role: p['role'] as PeerGroup['role'],
      kind: (p['kind'] as PeerGroup['kind'] | undefined) ?? 'synthetic',
      count: p['count'] as number,
      video: toVideo(problems, p['video'] as Raw | undefined, ['peers', i]),
    };
    const network = toNetwork(problems, p['network'] as Raw | undefined, ['peers', i, 'network']);
    if (network) group.network = network;
    const audio = p['audio'] as Raw | undefined;
    if (audio?.['utterances'] === true) {
      if (group.role !== 'publisher' || group.kind !== 'browser') {
        problems.add(['peers', i, 'audio'], 'spoken audio (utterances) is sent by browser publishers only');
      }
      group.audio = { intervalMs: durationAt(problems, audio, 'interval', ['peers', i, 'audio'], 4000) };
    }
    return group;
  });
  if (rawPeers.length > 0 && !rawPeers.some((p) => p['role'] === 'publisher')) {
    problems.add(['peers'], 'needs at least one publisher group');
  }
  const sfu = (raw['sfu'] as Raw | undefined) ?? {};
  if (target.type === 'external' && sfu['addDelayMs'] !== undefined) {
    problems.add(['sfu', 'addDelayMs'], 'only the reference SFU can add delay; remove it or use target: reference');
  }
  if (target.type === 'external' && sfu['burnCpuMsPerFrame'] !== undefined) {
    problems.add(['sfu', 'burnCpuMsPerFrame'], 'only the reference SFU can burn CPU per frame; remove it or use target: reference');
  }
  const aiOptions = toAi(problems, raw['ai'] as Raw | undefined, target);
  const checkAi = (options: AiOptions, at: Problems): void => {
    if (options.speech && options.placement === 'cloud' && !peers.some((g) => g.role === 'publisher' && g.audio)) {
      at.add(['ai', 'speech'], 'the translation chain needs spoken audio: give a browser publisher audio: { utterances: true }');
    }
    if (options.placement === 'edge' && peers.some((g) => g.role === 'publisher' && g.kind !== 'browser')) {
      at.add(['ai', 'placement'], 'edge AI runs in the sending browser: every publisher group must be kind: browser');
    }
  };
  checkAi(aiOptions, problems);
  const rawVariants = Array.isArray(raw['variants']) ? (raw['variants'] as Raw[]) : [];
  const variants: Variant[] = rawVariants.map((v, i) => {
    const at = problems.under(['variants', i]);
    const ai = v['ai'] !== undefined ? toAi(at, v['ai'] as Raw, target) : aiOptions;
    if (v['ai'] !== undefined) checkAi(ai, at);
    const vs = (v['sfu'] as Raw | undefined) ?? (raw['sfu'] as Raw | undefined) ?? {};
    if (target.type === 'external' && (v['sfu'] as Raw | undefined)?.['burnCpuMsPerFrame'] !== undefined) {
      at.add(['sfu', 'burnCpuMsPerFrame'], 'only the reference SFU can burn CPU per frame; remove it or use target: reference');
    }
    return { name: v['name'] as string, ai, sfu: sfuOptionsOf(vs) };
  });
  const variantNames = variants.map((v) => v.name);
  for (const [i, name] of variantNames.entries()) if (variantNames.indexOf(name) !== i) problems.add(['variants', i, 'name'], `variant ${name} is listed twice`);
  if (raw['variants'] === undefined && (raw['rounds'] !== undefined || raw['order'] !== undefined)) problems.add([raw['rounds'] !== undefined ? 'rounds' : 'order'], 'rounds and order apply to variants: add a variants list');
  const rooms = (raw['rooms'] as number | undefined) ?? 1;
  const slotsPerRoom = peers.filter((g) => g.role === 'subscriber').reduce((sum, g) => sum + (g.count ?? 0), 0);
  const executor = toExecutor(problems, raw['executor'] as Raw | undefined, slotsPerRoom, rooms);
  if (executor.type === 'ramping-peers') {
    const stagesMs = executor.stages.reduce((sum, s) => sum + s.durationMs, 0);
    if (raw['duration'] !== undefined && durationMs !== stagesMs) problems.add(['duration'], `is ${durationMs} ms but the executor's stages last ${stagesMs} ms: leave duration out (the stages give it)`);
    durationMs = stagesMs;
  } else if (raw['duration'] === undefined) {
    problems.add([], 'missing required key "duration"');
  }
  if (executor.type === 'arrival-rate') {
    if (raw['rooms'] !== undefined) problems.add(['rooms'], 'arrival-rate makes a room per call: leave rooms out (maxCalls bounds them)');
    const calls = Math.ceil((durationMs / 1000) * executor.ratePerSecond);
    if (calls * peers.reduce((sum, g) => sum + (g.count ?? 0), 0) > MAX_PLANNED_PEERS) problems.add(['executor', 'rate'], `starts ${calls} calls in ${durationMs} ms: more than ${MAX_PLANNED_PEERS} peers in all`);
  }
  const network = toNetwork(problems, raw['network'] as Raw | undefined, ['network']);
  const impaired = network !== undefined || peers.some((g) => g.network);
  if (impaired && target.type === 'external') problems.add([raw['network'] !== undefined ? 'network' : 'peers'], 'network impairment puts peers in namespaces that reach only the reference SFU: use target: reference');
  if (impaired && typeof (raw['browser'] as Raw | undefined)?.['wsEndpoint'] === 'string' && peers.some((g) => g.kind === 'browser' && (g.network ?? network))) {
    problems.add(['browser', 'wsEndpoint'], 'a remote browser is outside the run\'s network namespaces: its peers cannot be impaired');
  }
  const connectTimeoutMs = durationAt(problems, raw, 'connectTimeout', [], 15_000);
  const warmupMs = durationAt(problems, raw, 'warmup', [], 0);
  if (problems.list.length > 0) {
    problems.sortByPlace();
    throw new GlassbenchError('INVALID_INPUT', `${doc.file}: invalid scenario (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'})`, {
      problems: problems.list,
    });
  }
  const plannedRooms = executor.type === 'arrival-rate' ? Math.max(1, Math.ceil((durationMs / 1000) * executor.ratePerSecond)) : rooms;
  const totalPeers = peers.reduce((sum, g) => sum + g.count, 0) * Math.min(plannedRooms, executor.type === 'arrival-rate' ? executor.maxCalls : plannedRooms);
  return {
    name: raw['name'] as string,
    durationMs,
    warmupMs,
    target,
    rooms: plannedRooms,
    peers,
    sfu: sfuOptionsOf(sfu),
    browser: typeof (raw['browser'] as Raw | undefined)?.['wsEndpoint'] === 'string' ? { wsEndpoint: (raw['browser'] as Raw)['wsEndpoint'] as string } : {},
    runners: (raw['runners'] as number | undefined) ?? Math.max(1, Math.ceil(totalPeers / 100)),
    connectTimeoutMs,
    thresholds,
    executor,
    ...(network ? { network } : {}),
    ai: aiOptions,
    ...(variants.length > 0 ? { variants, rounds: (raw['rounds'] as number | undefined) ?? 1, order: (raw['order'] as 'sequential' | 'interleaved' | undefined) ?? 'interleaved' } : {}),
    sourcePath: doc.file,
  };
}

export async function loadScenario(path: string): Promise<Scenario> {
  return validateScenario(await loadScenarioFile(path));
}

export function scenarioFromText(text: string, file = '<inline>'): Scenario {
  return validateScenario(parseScenarioText(text, file));
}
