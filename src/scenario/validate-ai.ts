/** Normalises an `ai` block (the scenario's, or a variant's own) into the AI hook's options, defaults filled. */
import type { AiOptions, AiStageSpec, SpeechOptions, SyntheticModel } from '../protocol/ai.js';
import type { PathSegment } from './load.js';
import { durationAt, type Problems, show } from './problems.js';
import type { RawAi, RawAiStage, RawSpeech } from './schema.js';
import type { Target } from './types.js';

/** The keys of the cloud hook that mean nothing at the edge. */
const CLOUD_ONLY_KEYS: (keyof RawAi)[] = ['speech', 'devices', 'worker', 'mode', 'queue', 'workers'];

function toStage(problems: Problems, a: RawAi, stage: RawAiStage, i: number): AiStageSpec {
  const rawModel = stage.model ?? {};
  const name = stage.name;
  if (rawModel.vp8 !== undefined) {
    if (name !== 'decode' && name !== 'encode')
      problems.add(['ai', 'stages', i, 'model', 'vp8'], 'vp8 is a model of the decode and encode stages');
    const bitrateKbps = rawModel.vp8.bitrateKbps;
    return { name, model: { vp8: bitrateKbps === undefined ? {} : { bitrateKbps } } };
  }
  if (rawModel.detector !== undefined) {
    if (name !== 'inference')
      problems.add(['ai', 'stages', i, 'model', 'detector'], 'a detector is a model of the inference stage');
    if (a.placement !== 'edge')
      problems.add(
        ['ai', 'stages', i, 'model', 'detector'],
        'the face detector runs in the browser: it needs placement: edge',
      );
    return { name, model: { detector: 'face' } };
  }
  if (rawModel.filter !== undefined) {
    if (name !== 'inference')
      problems.add(['ai', 'stages', i, 'model', 'filter'], 'a filter is a model of the inference stage');
    return { name, model: { filter: rawModel.filter } };
  }
  const synthetic = rawModel.synthetic ?? {};
  const path: PathSegment[] = ['ai', 'stages', i, 'model', 'synthetic'];
  const model: SyntheticModel = {};
  if (synthetic.fixedMs !== undefined) model.fixedMs = synthetic.fixedMs;
  if (synthetic.p50 !== undefined) model.p50Ms = durationAt(problems, synthetic, 'p50', path, 0);
  if (synthetic.p99 !== undefined) model.p99Ms = durationAt(problems, synthetic, 'p99', path, 0);
  if (model.fixedMs === undefined && model.p50Ms === undefined)
    problems.add(path, 'needs fixedMs (ms), or p50 (and optionally p99)');
  if (model.fixedMs !== undefined && model.p50Ms !== undefined) problems.add(path, 'give fixedMs or p50/p99, not both');
  if (model.p50Ms !== undefined && model.p99Ms !== undefined && model.p99Ms < model.p50Ms)
    problems.add([...path, 'p99'], `must be at least p50 (${model.p50Ms} ms)`);
  return { name, model: { synthetic: model } };
}

/** The real video path: VP8 in, pixels, VP8 out, in one worker thread per track (codec state is sequential). */
function checkVideoPath(problems: Problems, a: RawAi, stages: AiStageSpec[]): void {
  const names = stages.map((s) => s.name);
  const decode = stages.find((s) => s.name === 'decode');
  const encode = stages.find((s) => s.name === 'encode');
  if (
    !decode ||
    !('vp8' in decode.model) ||
    !encode ||
    !('vp8' in encode.model) ||
    names[0] !== 'decode' ||
    names[names.length - 1] !== 'encode'
  ) {
    problems.add(
      ['ai', 'stages'],
      'the real video path is decode (vp8), then optionally inference (a filter or a synthetic model), then encode (vp8)',
    );
  }
  if (a.workers !== undefined && a.workers !== 1)
    problems.add(
      ['ai', 'workers'],
      'the real video path decodes and encodes in order, one frame at a time per track: workers must be 1',
    );
  const external = a.worker?.type === 'external';
  if (external && !stages.some((s) => s.name === 'inference'))
    problems.add(['ai', 'stages'], 'an external worker on the real video path runs the inference stage: add one');
  if (a.worker?.format === 'vp8')
    problems.add(
      ['ai', 'worker', 'format'],
      'the real video path hands the worker decoded pictures: format i420 (vp8 is for synthetic stages)',
    );
  if (a.devices !== undefined && !(external && a.devices === 'gpus'))
    problems.add(
      ['ai', 'devices'],
      "the real video path runs on the SFU's CPU, or its inference on GPUs in an external worker (devices: gpus)",
    );
}

/** Each speech engine: its real one by name, or `{ synthetic: <duration> }`. */
function toSpeech(problems: Problems, rawSpeech: RawSpeech): SpeechOptions {
  const engine = <N extends string>(
    key: 'asr' | 'mt' | 'tts',
    real: N,
  ): { engine: N } | { engine: 'synthetic'; ms: number } => {
    const value = rawSpeech[key];
    const expected = `must be ${real} or { synthetic: <duration> }, got ${show(value)}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length !== 1 || keys[0] !== 'synthetic') problems.add(['ai', 'speech', key], expected);
      return { engine: 'synthetic', ms: durationAt(problems, value, 'synthetic', ['ai', 'speech', key], 0) };
    }
    if (value !== undefined && value !== real) problems.add(['ai', 'speech', key], expected);
    return { engine: real };
  };
  return {
    output: rawSpeech.output ?? 'subtitles',
    asr: engine('asr', 'pocketsphinx'),
    mt: engine('mt', 'apertium'),
    tts: engine('tts', 'espeak-ng'),
  };
}

export function toAi(problems: Problems, raw: RawAi | undefined, target: Target): AiOptions {
  const a: RawAi = raw ?? {};
  const workers = a.workers ?? 1;
  const rawStages = Array.isArray(a.stages) ? a.stages : [];
  const stages = rawStages.map((stage, i) => toStage(problems, a, stage, i));
  if (stages.some((s) => 'vp8' in s.model || 'filter' in s.model)) checkVideoPath(problems, a, stages);
  const placement = raw === undefined ? 'none' : (a.placement ?? 'cloud');
  const rawSpeech = a.speech;
  if (placement === 'cloud' && raw !== undefined && rawStages.length === 0 && rawSpeech === undefined)
    problems.add(['ai', 'stages'], 'placement cloud needs at least one stage (or speech)');
  if (placement === 'cloud' && target.type !== 'reference')
    problems.add(['ai', 'placement'], 'the AI hook runs in the reference SFU; use target: reference');
  if (placement === 'edge') {
    if (rawStages.length === 0) problems.add(['ai', 'stages'], 'placement edge needs at least one stage');
    if (stages.some((s) => 'vp8' in s.model || 'filter' in s.model))
      problems.add(
        ['ai', 'stages'],
        'at the edge the page processes raw frames before its encoder: use synthetic models or detector: face',
      );
    for (const key of CLOUD_ONLY_KEYS) {
      if (a[key] !== undefined)
        problems.add(
          ['ai', key],
          `${key} belongs to the cloud hook; the edge runs one frame at a time in each browser publisher`,
        );
    }
  }
  const names = stages.map((s) => s.name);
  for (const [i, name] of names.entries())
    if (names.indexOf(name) !== i) problems.add(['ai', 'stages', i, 'name'], `stage ${name} is listed twice`);
  const queue = a.queue ?? {};
  const worker = a.worker;
  const devices = Array.isArray(a.devices)
    ? a.devices.map((d, i) => ({ name: d.name ?? `sim${i}`, speed: d.speed ?? 1, concurrency: d.concurrency ?? 1 }))
    : [{ name: 'sim0', speed: 1, concurrency: workers }];
  const deviceNames = devices.map((d) => d.name);
  for (const [i, name] of deviceNames.entries())
    if (deviceNames.indexOf(name) !== i) problems.add(['ai', 'devices', i, 'name'], `device ${name} is listed twice`);
  if (worker?.type === 'external' && Array.isArray(a.devices))
    problems.add(
      ['ai', 'devices'],
      'devices are simulated in the SFU; an external worker is its own device (or use devices: gpus)',
    );
  const gpus = a.devices === 'gpus';
  if (typeof a.devices === 'string' && !gpus)
    problems.add(['ai', 'devices'], `must be a list of simulated devices or gpus, got ${show(a.devices)}`);
  if (gpus && worker?.type !== 'external')
    problems.add(['ai', 'devices'], 'gpus run the calls in an external worker: add worker: { type: external }');
  if (worker?.socket !== undefined && worker.type !== 'external')
    problems.add(['ai', 'worker', 'socket'], 'only an external worker has a socket');
  const realVideo = stages.some((s) => 'vp8' in s.model);
  if (worker?.format === 'i420' && !realVideo)
    problems.add(
      ['ai', 'worker', 'format'],
      'i420 hands the worker decoded pictures: it needs the real video path (decode and encode stages with vp8 models)',
    );
  if (worker?.maxBatch !== undefined && (worker.type !== 'external' || worker.socket !== undefined))
    problems.add(
      ['ai', 'worker', 'maxBatch'],
      'maxBatch sets the reference worker the SFU starts; a worker of yours at a socket takes its own limit',
    );
  if (worker?.callTimeout !== undefined && worker.type !== 'external')
    problems.add(['ai', 'worker', 'callTimeout'], 'only an external worker has calls to time out');
  const callTimeoutMs =
    worker?.callTimeout === undefined ? undefined : durationAt(problems, worker, 'callTimeout', ['ai', 'worker'], 5000);
  if (callTimeoutMs !== undefined && callTimeoutMs < 100)
    problems.add(['ai', 'worker', 'callTimeout'], `must be at least 100ms, got ${callTimeoutMs} ms`);
  const speech = rawSpeech !== undefined ? toSpeech(problems, rawSpeech) : undefined;
  return {
    ...(speech ? { speech } : {}),
    placement,
    mode: a.mode ?? 'inline',
    stages,
    workers,
    queue: { max: queue.max ?? 4, policy: queue.policy ?? 'drop-oldest' },
    devices,
    ...(gpus ? { gpus: true } : {}),
    backend:
      worker?.type === 'external'
        ? {
            type: 'external',
            format: realVideo ? 'i420' : 'vp8',
            ...(typeof worker.socket === 'string' ? { socketPath: worker.socket } : {}),
            ...(worker.maxBatch !== undefined ? { maxBatch: worker.maxBatch } : {}),
            ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}),
          }
        : { type: 'in-process' },
    budgetMs: durationAt(problems, a, 'budget', ['ai'], 30),
  };
}
