/**
 * Scenario validation: schema first, then semantic checks (durations, target, thresholds against the metric
 * catalogue). Every problem is reported, each as `file:line:col path: reason`. The normalisers of the bigger
 * blocks live beside this file: validate-target.ts (with validate-target-network.ts and validate-janus.ts),
 * validate-network.ts, validate-load.ts (executor), validate-ai.ts, validate-sfu.ts.
 */
import { dirname, resolve } from 'node:path';

import { Ajv, type DefinedError, type ErrorObject } from 'ajv';

import {
  checkAgainstCatalogue,
  checkKeyAgainstCatalogue,
  parseThresholdExpression,
  parseThresholdKey,
} from '../budgets/parse.js';
import type { ThresholdSpec } from '../budgets/types.js';
import { GlassbenchError } from '../errors.js';
import type { AiOptions } from '../protocol/ai.js';
import type { VideoOptions } from '../protocol/video.js';
import { type LoadedDocument, loadScenarioFile, parseScenarioText, pathOf, type PathSegment } from './load.js';
import { durationAt, Problems, show, unknownKey } from './problems.js';
import { type RawPeerGroup, type RawScenario, scenarioSchema } from './schema.js';
import type { PeerGroup, Scenario, Variant } from './types.js';
import { toAi } from './validate-ai.js';
import { checkJanusRun } from './validate-janus.js';
import { toExecutor } from './validate-load.js';
import { toNetwork } from './validate-network.js';
import { checkSfu, checkSfuWorkers, sfuTargetOf } from './validate-sfu.js';
import { toTarget } from './validate-target.js';
import { bindAddressProblem } from './validate-target-network.js';

// verbose: errors carry their schema, so an unknown key can be told the keys that exist there
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const validateSchema = ajv.compile<RawScenario>(scenarioSchema);

type Raw = Record<string, unknown>;

function valueAt(root: unknown, path: PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Reflect.get(node, segment);
  }
  return node;
}

function reportSchemaError(problems: Problems, root: unknown, schemaError: ErrorObject): void {
  // ajv types its errors as the open ErrorObject; this schema uses only keywords ajv defines, whose params it types
  const error = schemaError as DefinedError;
  const path = pathOf(error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const properties: unknown = error.parentSchema?.['properties'];
      const known = Object.keys(properties !== null && typeof properties === 'object' ? properties : {});
      problems.add([...path, key], unknownKey(key, known), { key: true });
      return;
    }
    case 'required':
      problems.add(path, `missing required key "${String(error.params.missingProperty)}"`);
      return;
    case 'enum':
      problems.add(
        path,
        `must be one of ${error.params.allowedValues.map(show).join(', ')}, got ${show(valueAt(root, path))}`,
      );
      return;
    default:
      problems.add(path, `${error.message ?? 'is invalid'}, got ${show(valueAt(root, path))}`);
  }
}

/**
 * The root as the schema types it. Where the schema refused the file, the checks run all the same, so that one
 * pass reports every problem: they read each value defensively (Array.isArray, typeof, defaults), and one of a
 * type the schema refused at worst throws, which validateScenario reports as the schema's problems.
 */
function schemaShaped(root: object): RawScenario {
  return root as RawScenario;
}

const THRESHOLD_KEYS = ['threshold', 'abortOnFail', 'delayAbortEval'];

function toThresholds(problems: Problems, value: RawScenario['thresholds']): ThresholdSpec[] {
  const specs: ThresholdSpec[] = [];
  for (const [key, entries] of Object.entries(value ?? {})) {
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
      const raw: Raw = typeof entry === 'string' ? { threshold: entry } : entry;
      for (const k of Object.keys(raw)) {
        if (!THRESHOLD_KEYS.includes(k)) problems.add([...path, k], unknownKey(k, THRESHOLD_KEYS), { key: true });
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

function toVideo(problems: Problems, raw: RawPeerGroup['video'], path: PathSegment[]): VideoOptions {
  const v = raw ?? {};
  return {
    width: v.width ?? 640,
    height: v.height ?? 360,
    fps: v.fps ?? 30,
    bitrateKbps: v.bitrateKbps ?? 600,
    keyframeIntervalMs: durationAt(problems, v, 'keyframeInterval', [...path, 'video'], 2000),
    source: v.source ?? 'synthetic',
    ...(v.texture === true ? { texture: true as const } : {}),
  };
}

function toPeerGroup(problems: Problems, p: RawPeerGroup, i: number): PeerGroup {
  const group: PeerGroup = {
    role: p.role,
    kind: p.kind ?? 'synthetic',
    count: p.count,
    video: toVideo(problems, p.video, ['peers', i]),
  };
  const network = toNetwork(problems, p.network, ['peers', i, 'network']);
  if (network) group.network = network;
  const audio = p.audio;
  if (audio?.utterances === true) {
    if (group.role !== 'publisher' || group.kind !== 'browser') {
      problems.add(['peers', i, 'audio'], 'spoken audio (utterances) is sent by browser publishers only');
    }
    group.audio = { intervalMs: durationAt(problems, audio, 'interval', ['peers', i, 'audio'], 4000) };
  }
  if (audio?.sync === true) {
    if (group.role !== 'publisher')
      problems.add(['peers', i, 'audio', 'sync'], 'the A/V sync marker is sent by publishers only');
    else if (group.audio)
      problems.add(
        ['peers', i, 'audio', 'sync'],
        'the A/V sync marker and spoken utterances cannot share one audio track (the translation chain would hear the tones, and speech onsets would be taken for markers): use another publisher group for it',
      );
    // a marker every 30 frames: above 60 fps the bursts come less than 500 ms apart, too close to tell apart
    if (group.video.fps > 60)
      problems.add(['peers', i, 'video', 'fps'], 'the A/V sync marker (audio: { sync: true }) needs at most 60 fps');
    group.avSync = true;
  }
  if (p.quality) {
    if (group.role !== 'subscriber') problems.add(['peers', i, 'quality'], 'is for subscriber groups');
    group.quality = { sampleEvery: p.quality.sampleEvery };
  }
  return group;
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
    throw new GlassbenchError(
      'INVALID_INPUT',
      `${doc.file}: invalid scenario (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'})`,
      { problems: problems.list },
    );
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
  const raw = schemaShaped(root);
  let durationMs = durationAt(problems, raw, 'duration', [], 0);
  if (raw.duration !== undefined && durationMs <= 0 && problems.list.length === 0) {
    problems.add(['duration'], `must be longer than 0, got ${show(raw.duration)}`);
  }
  const target = toTarget(problems, raw.target, doc.file);
  const bindAddress = raw.bindAddress;
  const bindProblem = bindAddress === undefined ? undefined : bindAddressProblem(bindAddress);
  if (bindProblem) problems.add(['bindAddress'], bindProblem);
  else if (bindAddress !== undefined && target.type === 'reference' && !bindAddress.startsWith('127.'))
    problems.add(['bindAddress'], 'the built-in reference SFU listens on loopback: leave bindAddress out');
  const thresholds = toThresholds(problems, raw.thresholds);
  const rawPeers = Array.isArray(raw.peers) ? raw.peers : [];
  const peers = rawPeers.map((p, i) => toPeerGroup(problems, p, i));
  // a Janus subscription answers the server's offer, which the receivers' audio path does not negotiate
  if (target.type === 'janus')
    for (const [i, g] of peers.entries())
      if (g.avSync)
        problems.add(['peers', i, 'audio', 'sync'], 'the A/V sync marker needs a WHIP/WHEP target, not Janus');
  if (rawPeers.length > 0 && !rawPeers.some((p) => p.role === 'publisher')) {
    problems.add(['peers'], 'needs at least one publisher group');
  }
  const scored = peers.findIndex((g) => g.quality);
  if (
    scored >= 0 &&
    !peers.some((g) => g.role === 'publisher' && (g.kind === 'browser' || g.video.source === 'encoded'))
  )
    problems.add(
      ['peers', scored, 'quality'],
      'needs a publisher whose pictures are known: video.source: encoded or kind: browser',
    );
  // a browser decodes what it receives, and synthetic filler (video.source: synthetic) is not VP8 it can decode
  const filler = peers.some((g) => g.role === 'publisher' && g.kind !== 'browser' && g.video.source !== 'encoded');
  for (const [i, g] of peers.entries())
    if (filler && g.role === 'subscriber' && g.kind === 'browser')
      problems.add(
        ['peers', i, 'kind'],
        'a browser subscriber needs every publisher to send video it can decode: give synthetic publishers video: { source: encoded }',
      );
  const aiOptions = toAi(problems, raw.ai, target);
  const checkAi = (options: AiOptions, at: Problems): void => {
    if (options.speech && options.placement === 'cloud' && !peers.some((g) => g.role === 'publisher' && g.audio)) {
      at.add(
        ['ai', 'speech'],
        'the translation chain needs spoken audio: give a browser publisher audio: { utterances: true }',
      );
    }
    if (options.speech && options.placement === 'cloud')
      for (const [i, g] of peers.entries())
        if (g.avSync)
          at.add(
            ['peers', i, 'audio', 'sync'],
            "the translation chain takes every publisher's audio (the tones would go to the recogniser, and translated speech replaces them): measure A/V sync without ai.speech",
          );
    if (options.placement === 'edge' && peers.some((g) => g.role === 'publisher' && g.kind !== 'browser')) {
      at.add(['ai', 'placement'], 'edge AI runs in the sending browser: every publisher group must be kind: browser');
    }
  };
  checkAi(aiOptions, problems);
  const sfu = raw.sfu ?? {};
  checkSfu(problems, raw.sfu, target, aiOptions);
  const rawVariants = Array.isArray(raw.variants) ? raw.variants : [];
  const variants: Variant[] = rawVariants.map((v, i) => {
    const at = problems.under(['variants', i]);
    const ai = v.ai !== undefined ? toAi(at, v.ai, target) : aiOptions;
    if (v.ai !== undefined) checkAi(ai, at);
    const vs = v.sfu ?? raw.sfu ?? {};
    if (v.sfu !== undefined) checkSfu(at, v.sfu, target, ai);
    // the scenario's own block meets this variant's ai (checked above against the scenario's)
    else if (v.ai !== undefined && aiOptions.placement !== 'cloud') checkSfuWorkers(problems, raw.sfu, ai, v.name);
    return { name: v.name, ai, sfu: sfuTargetOf(vs, target, ai) };
  });
  const variantNames = variants.map((v) => v.name);
  for (const [i, name] of variantNames.entries())
    if (variantNames.indexOf(name) !== i) problems.add(['variants', i, 'name'], `variant ${name} is listed twice`);
  if (raw.variants === undefined && (raw.rounds !== undefined || raw.order !== undefined))
    problems.add(
      [raw.rounds !== undefined ? 'rounds' : 'order'],
      'rounds and order apply to variants: add a variants list',
    );
  const rooms = raw.rooms ?? 1;
  const slotsPerRoom = peers.filter((g) => g.role === 'subscriber').reduce((sum, g) => sum + (g.count ?? 0), 0);
  const executor = toExecutor(problems, raw.executor, slotsPerRoom, rooms);
  if (executor.type === 'ramping-peers') {
    const stepsMs = executor.steps.reduce((sum, s) => sum + s.durationMs, 0);
    if (raw.duration !== undefined && durationMs !== stepsMs)
      problems.add(
        ['duration'],
        `is ${durationMs} ms but the executor's stages last ${stepsMs} ms: leave duration out (the stages give it)`,
      );
    durationMs = stepsMs;
  } else if (raw.duration === undefined) {
    problems.add([], 'missing required key "duration"');
  }
  if (executor.type === 'arrival-rate') {
    if (raw.rooms !== undefined)
      problems.add(['rooms'], 'arrival-rate makes a room per call: leave rooms out (maxCalls bounds them)');
    const calls = Math.ceil((durationMs / 1000) * executor.ratePerSecond);
    if (calls * peers.reduce((sum, g) => sum + (g.count ?? 0), 0) > MAX_PLANNED_PEERS)
      problems.add(
        ['executor', 'rate'],
        `starts ${calls} calls in ${durationMs} ms: more than ${MAX_PLANNED_PEERS} peers in all`,
      );
  }
  const network = toNetwork(problems, raw.network, ['network']);
  const impaired = network !== undefined || peers.some((g) => g.network);
  if (impaired && target.type !== 'reference')
    problems.add(
      [raw.network !== undefined ? 'network' : 'peers'],
      'network impairment puts peers in namespaces that reach only the reference SFU: use target: reference',
    );
  if (
    impaired &&
    typeof raw.browser?.wsEndpoint === 'string' &&
    peers.some((g) => g.kind === 'browser' && (g.network ?? network))
  ) {
    problems.add(
      ['browser', 'wsEndpoint'],
      "a remote browser is outside the run's network namespaces: its peers cannot be impaired",
    );
  }
  if (raw.clock !== undefined && target.type === 'reference')
    problems.add(
      ['clock', 'host'],
      "the built-in SFU shares this host's clock: a time host applies to an external target",
    );
  if (target.type === 'janus') checkJanusRun(problems, target, peers, rooms);
  const connectTimeoutMs = durationAt(problems, raw, 'connectTimeout', [], 15_000);
  const warmupMs = durationAt(problems, raw, 'warmup', [], 0);
  const silenceTimeoutMs = durationAt(problems, raw, 'silenceTimeout', [], 10_000);
  if (silenceTimeoutMs < 6000)
    problems.add(
      ['silenceTimeout'],
      `must be at least 6s (an SFU that sends a publisher no RTCP is heard only through ICE consent checks, every 4-6 s), got ${silenceTimeoutMs} ms`,
    );
  if (problems.list.length > 0) {
    problems.sortByPlace();
    throw new GlassbenchError(
      'INVALID_INPUT',
      `${doc.file}: invalid scenario (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'})`,
      {
        problems: problems.list,
      },
    );
  }
  const plannedRooms =
    executor.type === 'arrival-rate' ? Math.max(1, Math.ceil((durationMs / 1000) * executor.ratePerSecond)) : rooms;
  const totalPeers =
    peers.reduce((sum, g) => sum + g.count, 0) *
    Math.min(plannedRooms, executor.type === 'arrival-rate' ? executor.maxCalls : plannedRooms);
  const wsEndpoint = raw.browser?.wsEndpoint;
  const summaryExport = raw.report?.['summary-export'];
  return {
    name: raw.name,
    durationMs,
    warmupMs,
    target,
    rooms: plannedRooms,
    peers,
    sfu: sfuTargetOf(sfu, target, aiOptions),
    browser: typeof wsEndpoint === 'string' ? { wsEndpoint } : {},
    runners: raw.runners ?? Math.max(1, Math.ceil(totalPeers / 100)),
    connectTimeoutMs,
    silenceTimeoutMs,
    thresholds,
    executor,
    ...(network ? { network } : {}),
    ai: aiOptions,
    ...(typeof raw.clock?.host === 'string' ? { clock: { hostUrl: raw.clock.host } } : {}),
    ...(variants.length > 0 ? { variants, rounds: raw.rounds ?? 1, order: raw.order ?? 'interleaved' } : {}),
    sourcePath: doc.file,
    ...(bindAddress !== undefined ? { bindAddress } : {}),
    ...(typeof summaryExport === 'string'
      ? { report: { summaryExport: resolve(dirname(resolve(doc.file)), summaryExport) } }
      : {}),
  };
}

export async function loadScenario(path: string): Promise<Scenario> {
  return validateScenario(await loadScenarioFile(path));
}

export function scenarioFromText(text: string, file = '<inline>'): Scenario {
  return validateScenario(parseScenarioText(text, file));
}
