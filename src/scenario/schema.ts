/** JSON Schema of scenario files. Semantic checks (durations, thresholds) live in validate.ts. */
import { NETWORK_PROFILE_NAMES } from '../network/profiles.js';
import type { FromSchema } from './schema-type.js';
const duration = { type: ['string', 'number'] } as const;
const positiveInteger = { type: 'integer', minimum: 1 } as const;

const video = {
  type: 'object',
  additionalProperties: false,
  properties: {
    width: { type: 'integer', minimum: 16, maximum: 7680 },
    height: { type: 'integer', minimum: 16, maximum: 4320 },
    fps: { type: 'number', exclusiveMinimum: 0, maximum: 240 },
    bitrateKbps: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 },
    keyframeInterval: duration,
    source: { enum: ['synthetic', 'encoded'] },
    texture: { type: 'boolean' },
  },
} as const;

// a named network profile (src/network/profiles.ts): the base that the keys beside it override
const profile = { enum: NETWORK_PROFILE_NAMES } as const;

const link = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profile,
    delay: duration,
    jitter: duration,
    // a percentage: 5, 0.5 or "5%"
    loss: { type: ['number', 'string'] },
    burstLoss: { type: 'number', minimum: 0, maximum: 10_000 },
    rateKbps: { type: 'number', minimum: 0, maximum: 10_000_000 },
  },
} as const;

const network = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profile,
    uplink: link,
    downlink: link,
    schedule: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at'],
        properties: { at: duration, profile, uplink: link, downlink: link },
      },
    },
  },
} as const;

const executor = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['constant-peers', 'ramping-peers', 'arrival-rate'] },
    // ramping-peers
    startTarget: { type: 'integer', minimum: 0, maximum: 100_000 },
    stages: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['duration', 'target'],
        properties: { duration, target: { type: 'integer', minimum: 0, maximum: 100_000 } },
      },
    },
    // arrival-rate
    rate: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    timeUnit: duration,
    callDuration: duration,
    maxCalls: { type: 'integer', minimum: 1, maximum: 10_000 },
  },
} as const;

/** the reference SFU's calibration knobs and worker processes (scenario and variants) */
const sfuProperties = {
  addDelayMs: { type: 'number', minimum: 0, maximum: 10_000 },
  // audio packets only, on top of addDelayMs (calibration of av_sync_ms)
  addAudioDelayMs: { type: 'number', minimum: 0, maximum: 10_000 },
  // CPU the SFU's event loop burns per incoming video frame: 1000 ms would stall it for good
  burnCpuMsPerFrame: { type: 'number', minimum: 0, maximum: 1000 },
  // strip identity extensions and shift seq/timestamps per subscriber, as Janus and other SFUs do
  rewriteRtp: { type: 'boolean' },
  // worker processes of the reference SFU (one per core is the useful most; 64 bounds a typo)
  workers: { type: 'integer', minimum: 1, maximum: 64 },
  subscribersPerWorker: { type: 'integer', minimum: 1, maximum: 10_000 },
} as const;

const stageNames = ['decode', 'inference', 'encode'] as const;

const ai = {
  type: 'object',
  additionalProperties: false,
  properties: {
    placement: { enum: ['none', 'cloud', 'edge'] },
    mode: { enum: ['inline', 'tap'] },
    stages: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'model'],
        properties: {
          name: { enum: stageNames },
          model: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            properties: {
              synthetic: {
                type: 'object',
                additionalProperties: false,
                properties: { fixedMs: { type: 'number', minimum: 0, maximum: 10_000 }, p50: duration, p99: duration },
              },
              vp8: {
                type: 'object',
                additionalProperties: false,
                properties: { bitrateKbps: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 } },
              },
              filter: { enum: ['blur', 'edges', 'noise'] },
              detector: { enum: ['face'] },
            },
          },
        },
      },
    },
    workers: { ...positiveInteger, maximum: 256 },
    queue: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max: { ...positiveInteger, maximum: 100_000 },
        policy: { enum: ['drop-oldest', 'drop-newest', 'block'] },
      },
    },
    // a list of simulated devices, or `gpus` (checked in validate.ts)
    devices: {
      type: ['array', 'string'],
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$' },
          speed: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
          concurrency: { ...positiveInteger, maximum: 1024 },
        },
      },
    },
    worker: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { enum: ['in-process', 'external'] },
        socket: { type: 'string', minLength: 1, maxLength: 100 },
        // what a call carries: the frame's VP8, or (the real video path) the decoded picture
        format: { enum: ['vp8', 'i420'] },
        // the reference worker the SFU starts: calls per batch at most
        maxBatch: { ...positiveInteger, maximum: 256 },
        // a call unanswered this long fails
        callTimeout: duration,
      },
    },
    budget: duration,
    speech: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // the engine's name, or { synthetic: <duration> }: checked in validate.ts for a clearer message than oneOf
        // gives
        asr: { type: ['string', 'object'] },
        mt: { type: ['string', 'object'] },
        tts: { type: ['string', 'object'] },
        output: { enum: ['subtitles', 'speech', 'both'] },
      },
    },
  },
} as const;

export const scenarioSchema = {
  type: 'object',
  additionalProperties: false,
  // duration: required unless a ramping-peers executor's stages give it (validate.ts)
  required: ['name', 'peers'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    duration,
    // `reference` or { whip, whep, token }: checked in validate.ts for a clearer message than oneOf gives
    target: { type: ['string', 'object'] },
    // a time host (`glassbench clock`) beside an SFU with no /clock of its own
    clock: {
      type: 'object',
      additionalProperties: false,
      required: ['host'],
      properties: { host: { type: 'string', pattern: '^https?://[^\\s]+$' } },
    },
    // the local address peers bind to (docs/networks.md): checked in validate-target-network.ts
    bindAddress: { type: 'string' },
    rooms: { ...positiveInteger, maximum: 10_000 },
    runners: { ...positiveInteger, maximum: 64 },
    connectTimeout: duration,
    silenceTimeout: duration,
    warmup: duration,
    peers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role', 'count'],
        properties: {
          role: { enum: ['publisher', 'subscriber'] },
          kind: { enum: ['synthetic', 'browser'] },
          count: { ...positiveInteger, maximum: 10_000 },
          video,
          audio: {
            type: 'object',
            additionalProperties: false,
            properties: { utterances: { type: 'boolean' }, interval: duration, sync: { type: 'boolean' } },
          },
          network,
          quality: {
            type: 'object',
            additionalProperties: false,
            required: ['sampleEvery'],
            properties: { sampleEvery: { ...positiveInteger, maximum: 10_000 } },
          },
        },
      },
    },
    browser: {
      type: 'object',
      additionalProperties: false,
      properties: { wsEndpoint: { type: 'string', pattern: '^wss?://' } },
    },
    sfu: {
      type: 'object',
      additionalProperties: false,
      properties: sfuProperties,
    },
    ai,
    executor,
    network,
    // runs of the same scenario with other ai (and sfu) settings, one after another under one run id
    variants: {
      type: 'array',
      minItems: 2,
      maxItems: 8,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$' },
          ai,
          sfu: { type: 'object', additionalProperties: false, properties: sfuProperties },
        },
      },
    },
    rounds: { ...positiveInteger, maximum: 20 },
    order: { enum: ['sequential', 'interleaved'] },
    thresholds: {
      type: 'object',
      additionalProperties: { type: 'array', minItems: 1, items: { type: ['string', 'object'] } },
    },
    // extra result files; `summary-export` is k6's flag name: the run's results as k6's end-of-test summary data
    report: {
      type: 'object',
      additionalProperties: false,
      properties: { 'summary-export': { type: 'string', minLength: 1, maxLength: 4096 } },
    },
  },
} as const;

/**
 * A scenario file as the schema admits it, before semantic checks and defaults. The normalisers read these
 * types; where the schema refused a file they still run (so one pass reports every problem) and read each value
 * defensively (see validate.ts).
 */
export type RawScenario = FromSchema<typeof scenarioSchema>;
export type RawPeerGroup = RawScenario['peers'][number];
export type RawNetwork = NonNullable<RawScenario['network']>;
export type RawLink = NonNullable<RawNetwork['uplink']>;
export type RawExecutor = NonNullable<RawScenario['executor']>;
export type RawAi = NonNullable<RawScenario['ai']>;
export type RawAiStage = NonNullable<RawAi['stages']>[number];
export type RawSpeech = NonNullable<RawAi['speech']>;
export type RawSfu = NonNullable<RawScenario['sfu']>;
