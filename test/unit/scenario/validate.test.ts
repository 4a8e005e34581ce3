import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const VALID = `name: ok
duration: 5s
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 2 }
`;

describe('validateScenario', () => {
  it('fills defaults', () => {
    const scenario = scenarioFromText(VALID, 'x.yaml');
    expect(scenario).toMatchObject({
      name: 'ok',
      durationMs: 5000,
      rooms: 1,
      target: { type: 'reference' },
      sfu: { addDelayMs: 0 },
      runners: 1,
    });
    expect(scenario.peers[0]?.video).toEqual({
      width: 640,
      height: 360,
      fps: 30,
      bitrateKbps: 600,
      keyframeIntervalMs: 2000,
      source: 'synthetic',
    });
    expect(scenario.peers[1]?.kind).toBe('synthetic');
  });

  it('names file, line, column and path of a bad value', () => {
    const problems = problemsOf(`name: bad
duration: 5s
peers:
  - role: publisher
    count: 1
  - role: subscriber
    count: -3
`);
    expect(problems).toEqual(['x.yaml:7:12 peers[1].count: must be >= 1, got -3']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(`name: bad
duration: soon
rooms: 0
peers:
  - { role: listener, count: 1 }
colour: blue
`);
    expect(problems).toHaveLength(5);
    expect(problems).toContain(
      'x.yaml:2:11 duration: must be a duration like 10s, 500ms, 2m or a number of ms, got "soon"',
    );
    expect(problems).toContain('x.yaml:3:8 rooms: must be >= 1, got 0');
    expect(problems).toContain('x.yaml:5:13 peers[0].role: must be one of "publisher", "subscriber", got "listener"');
    expect(problems).toContain('x.yaml:6:1 colour: unknown key');
    expect(problems).toContain('x.yaml:5:3 peers: needs at least one publisher group');
  });

  it('rejects an unknown metric in a threshold instead of passing it', () => {
    const problems = problemsOf(`${VALID}thresholds:
  frame_latncy_ms: ["p(95)<400"]
`);
    expect(problems).toEqual(['x.yaml:7:3 thresholds.frame_latncy_ms: unknown metric "frame_latncy_ms"']);
  });

  it('locates a malformed threshold expression', () => {
    const problems = problemsOf(`${VALID}thresholds:
  frame_latency_ms:
    - "p(95)<400"
    - { threshold: "p95 < 400", abortOnFail: true }
`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^x\.yaml:9:20 thresholds\.frame_latency_ms\[1\]\.threshold: "p95 < 400" is not a threshold/,
    );
  });

  it('parses thresholds with tag filters and abortOnFail', () => {
    const scenario = scenarioFromText(`${VALID}thresholds:
  "frame_latency_ms{room:r1}": [{ threshold: "p(95)<400", abortOnFail: true, delayAbortEval: 2s }]
`);
    expect(scenario.thresholds[0]).toMatchObject({
      metric: 'frame_latency_ms',
      tags: { room: 'r1' },
      abortOnFail: true,
      delayAbortEvalMs: 2000,
    });
  });

  it('reports YAML syntax errors with their place', () => {
    const problems = problemsOf('name: x\nduration: [1, 2\npeers: []\n');
    expect(problems[0]).toMatch(/^x\.yaml:\d+:\d+ \(syntax\): /);
  });

  it('refuses a document that is not a mapping', () => {
    expect(problemsOf('- 1\n- 2\n')[0]).toMatch(/^x\.yaml:1:1 \(root\): a scenario must be a mapping/);
  });

  it('accepts JSON scenarios with locations', () => {
    const problems = problemsOf(
      '{\n  "name": "j",\n  "duration": "5s",\n  "peers": [{ "role": "publisher", "count": "two" }]\n}\n',
    );
    expect(problems).toEqual(['x.yaml:4:45 peers[0].count: must be integer, got "two"']);
  });

  it('limits YAML alias expansion', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
name: bomb
`;
    expect(problemsOf(bomb)[0]).toMatch(/alias/i);
  });

  it('refuses a browser subscriber of a publisher that sends undecodable filler, on any target', () => {
    const rooms = (publisher: string): string =>
      `name: b\nduration: 5s\npeers:\n  - ${publisher}\n  - { role: subscriber, count: 1, kind: browser }\n`;
    expect(problemsOf(rooms('{ role: publisher, count: 1 }'))).toEqual([
      expect.stringMatching(
        /^x\.yaml:5:\d+ peers\[1\]\.kind: a browser subscriber needs every publisher to send video it can decode: give synthetic publishers video: \{ source: encoded \}$/,
      ),
    ]);
    expect(
      scenarioFromText(rooms('{ role: publisher, count: 1, video: { source: encoded } }'), 'x.yaml').peers,
    ).toHaveLength(2);
    expect(scenarioFromText(rooms('{ role: publisher, count: 1, kind: browser }'), 'x.yaml').peers).toHaveLength(2);
  });

  it('fills silenceTimeout (default 10 s) and refuses one under 6 s at its place', () => {
    expect(scenarioFromText(VALID, 'x.yaml').silenceTimeoutMs).toBe(10_000);
    expect(scenarioFromText(`${VALID}silenceTimeout: 8s\n`, 'x.yaml').silenceTimeoutMs).toBe(8000);
    expect(problemsOf(`${VALID}silenceTimeout: 5s\n`)).toEqual([
      expect.stringMatching(/^x\.yaml:6:\d+ silenceTimeout: must be at least 6s .*got 5000 ms$/),
    ]);
  });

  it('keeps addDelayMs to the reference SFU', () => {
    const problems =
      problemsOf(`${VALID}target: { whip: "http://127.0.0.1:9/whip/{room}", whep: "http://127.0.0.1:9/whep/{room}" }
sfu: { addDelayMs: 5 }
`);
    expect(problems).toEqual([expect.stringMatching(/sfu\.addDelayMs: only the reference SFU/)]);
  });
  it("fills sfu.burnCpuMsPerFrame (default 0), keeps it to the reference SFU and names a bad value's place", () => {
    expect(scenarioFromText(VALID, 'x.yaml').sfu).toMatchObject({ addDelayMs: 0, burnCpuMsPerFrame: 0 });
    expect(scenarioFromText(`${VALID}sfu: { burnCpuMsPerFrame: 12.5 }\n`, 'x.yaml').sfu).toMatchObject({
      addDelayMs: 0,
      burnCpuMsPerFrame: 12.5,
    });
    const external =
      problemsOf(`${VALID}target: { whip: "http://127.0.0.1:9/whip/{room}", whep: "http://127.0.0.1:9/whep/{room}" }
sfu: { burnCpuMsPerFrame: 5 }
`);
    expect(external).toEqual([expect.stringMatching(/sfu\.burnCpuMsPerFrame: only the reference SFU/)]);
    const negative = problemsOf(`${VALID}sfu: { burnCpuMsPerFrame: -1 }\n`);
    expect(negative).toHaveLength(1);
    expect(negative[0]).toMatch(/^x\.yaml:\d+:\d+ sfu\.burnCpuMsPerFrame: .*>= 0/);
    expect(problemsOf(`${VALID}sfu: { burnCpuMsPerFrame: "10ms" }\n`)[0]).toMatch(/sfu\.burnCpuMsPerFrame: .*number/);
  });

  it('takes sfu.rewriteRtp for the reference SFU only, and names a bad value', () => {
    expect(scenarioFromText(`${VALID}sfu: { rewriteRtp: true }\n`, 'x.yaml').sfu).toMatchObject({
      addDelayMs: 0,
      burnCpuMsPerFrame: 0,
      rewriteRtp: true,
    });
    expect(scenarioFromText(`${VALID}sfu: { rewriteRtp: false }\n`, 'x.yaml').sfu.rewriteRtp).toBeUndefined();
    const external =
      problemsOf(`${VALID}target: { whip: "http://127.0.0.1:9/whip/{room}", whep: "http://127.0.0.1:9/whep/{room}" }
sfu: { rewriteRtp: true }
`);
    expect(external).toEqual([expect.stringMatching(/sfu\.rewriteRtp: only the reference SFU/)]);
    expect(problemsOf(`${VALID}sfu: { rewriteRtp: yes please }\n`)[0]).toMatch(
      /^x\.yaml:\d+:\d+ sfu\.rewriteRtp: .*boolean/,
    );
  });

  it("fills the AI hook's defaults, and placement none without an ai block", () => {
    expect(scenarioFromText(VALID, 'x.yaml').ai.placement).toBe('none');
    const scenario = scenarioFromText(
      `${VALID}ai:\n  stages: [ { name: inference, model: { synthetic: { p50: 12ms, p99: 28ms } } } ]\n`,
      'x.yaml',
    );
    expect(scenario.ai).toEqual({
      placement: 'cloud',
      mode: 'inline',
      stages: [{ name: 'inference', model: { synthetic: { p50Ms: 12, p99Ms: 28 } } }],
      workers: 1,
      queue: { max: 4, policy: 'drop-oldest' },
      devices: [{ name: 'sim0', speed: 1, concurrency: 1 }],
      backend: { type: 'in-process' },
      budgetMs: 30,
    });
  });

  it('rejects AI hook settings that cannot work, each with its place', () => {
    const problems = problemsOf(`${VALID}ai:
  placement: fog
  stages:
    - { name: inference, model: { synthetic: { fixedMs: 5, p50: 4ms } } }
    - { name: inference, model: { synthetic: { p50: 20ms, p99: 10ms } } }
    - { name: detect, model: { synthetic: { fixedMs: 1 } } }
  queue: { policy: drop-random }
  worker: { type: in-process, socket: /tmp/x.sock }
`);
    expect(problems.join('\n')).toMatch(
      /x\.yaml:7:14 ai\.placement: must be one of "none", "cloud", "edge", got "fog"/,
    );
    expect(problems.join('\n')).toMatch(/ai\.stages\[0\]\.model\.synthetic: give fixedMs or p50\/p99, not both/);
    expect(problems.join('\n')).toMatch(/ai\.stages\[1\]\.model\.synthetic\.p99: must be at least p50 \(20 ms\)/);
    expect(problems.join('\n')).toMatch(/ai\.stages\[1\]\.name: stage inference is listed twice/);
    expect(problems.join('\n')).toMatch(
      /ai\.stages\[2\]\.name: must be one of "decode", "inference", "encode", got "detect"/,
    );
    expect(problems.join('\n')).toMatch(/ai\.queue\.policy: must be one of "drop-oldest", "drop-newest", "block"/);
    expect(problems.join('\n')).toMatch(/ai\.worker\.socket: only an external worker has a socket/);
    const external = problemsOf(
      `${VALID}target: { whip: "http://127.0.0.1:1/whip/{room}", whep: "http://127.0.0.1:1/whep/{room}" }\nai: { stages: [ { name: inference, model: { synthetic: { fixedMs: 1 } } } ] }\n`,
    );
    expect(external.join('\n')).toMatch(/ai\.placement: the AI hook runs in the reference SFU; use target: reference/);
  });
  it('accepts the real video path in its order only, with one worker', () => {
    const ok = scenarioFromText(
      `${VALID}ai:\n  stages:\n    - { name: decode, model: { vp8: {} } }\n    - { name: inference, model: { filter: edges } }\n    - { name: encode, model: { vp8: { bitrateKbps: 800 } } }\n`,
      'x.yaml',
    );
    expect(ok.ai.stages.map((s) => s.model)).toEqual([{ vp8: {} }, { filter: 'edges' }, { vp8: { bitrateKbps: 800 } }]);
    const problems = problemsOf(`${VALID}ai:
  workers: 2
  stages:
    - { name: inference, model: { filter: blur } }
    - { name: decode, model: { vp8: {} } }
    - { name: encode, model: { filter: blur } }
`).join('\n');
    expect(problems).toMatch(/ai\.stages: the real video path is decode \(vp8\), then optionally inference/);
    expect(problems).toMatch(/ai\.stages\[2\]\.model\.filter: a filter is a model of the inference stage/);
    expect(problems).toMatch(/ai\.workers: the real video path decodes and encodes in order/);
  });
  it('reads edge placement (browser publishers, synthetic models or the face detector) and refuses cloud-only keys', () => {
    const browserPub = `name: e
duration: 5s
peers:
  - { role: publisher, kind: browser, count: 1 }
  - { role: subscriber, count: 1 }
`;
    const edge = scenarioFromText(
      `${browserPub}ai: { placement: edge, stages: [ { name: inference, model: { detector: face } } ] }\n`,
      'x.yaml',
    );
    expect(edge.ai.placement).toBe('edge');
    expect(edge.ai.stages[0]?.model).toEqual({ detector: 'face' });
    expect(
      problemsOf(
        `${VALID}ai: { placement: edge, stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ] }\n`,
      ).join('\n'),
    ).toMatch(/ai\.placement: edge AI runs in the sending browser/);
    expect(
      problemsOf(
        `${browserPub}ai: { placement: edge, workers: 2, stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ] }\n`,
      ).join('\n'),
    ).toMatch(/ai\.workers: workers belongs to the cloud hook/);
    expect(
      problemsOf(`${VALID}ai: { stages: [ { name: inference, model: { detector: face } } ] }\n`).join('\n'),
    ).toMatch(/the face detector runs in the browser: it needs placement: edge/);
  });
  it('reads variants with their own ai, located errors inside them, and rounds only with variants', () => {
    const text = `name: v
duration: 5s
peers:
  - { role: publisher, kind: browser, count: 1 }
  - { role: subscriber, count: 1 }
variants:
  - { name: edge, ai: { placement: edge, stages: [ { name: inference, model: { synthetic: { fixedMs: 15 } } } ] } }
  - { name: cloud, ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 15 } } } ] }, sfu: { addDelayMs: 5 } }
rounds: 3
`;
    const scenario = scenarioFromText(text, 'x.yaml');
    expect(scenario.variants?.map((v) => [v.name, v.ai.placement, v.sfu.addDelayMs])).toEqual([
      ['edge', 'edge', 0],
      ['cloud', 'cloud', 5],
    ]);
    expect(scenario.rounds).toBe(3);
    expect(scenario.order).toBe('interleaved');
    const bad = problemsOf(text.replace('fixedMs: 15 } } } ] } }', 'fixedMs: 15 } } } ], workers: 2 } }'));
    expect(bad.join('\n')).toMatch(/x\.yaml:7:\d+ variants\[0\]\.ai\.workers: workers belongs to the cloud hook/);
    expect(problemsOf(text.replace('name: cloud', 'name: edge')).join('\n')).toMatch(
      /variants\[1\]\.name: variant edge is listed twice/,
    );
    expect(problemsOf(`${VALID}rounds: 2\n`).join('\n')).toMatch(/rounds: rounds and order apply to variants/);
  });
  it('reads ai.devices: gpus (real GPUs, with an external worker) and refuses other words', () => {
    const ai = (rest: string): string =>
      `${VALID}ai: { stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ], ${rest} }\n`;
    expect(scenarioFromText(ai('devices: gpus, worker: { type: external }'), 'x.yaml').ai.gpus).toBe(true);
    expect(problemsOf(ai('devices: gpus')).join('\n')).toMatch(/ai\.devices: gpus run the calls in an external worker/);
    expect(problemsOf(ai('devices: tpus, worker: { type: external }')).join('\n')).toMatch(
      /ai\.devices: must be a list of simulated devices or gpus, got "tpus"/,
    );
  });
  it('reads ai.speech (real engines or synthetic times) and wants spoken audio to translate', () => {
    const audio = `name: t
duration: 5s
peers:
  - { role: publisher, kind: browser, count: 1, audio: { utterances: true } }
  - { role: subscriber, count: 1 }
`;
    const scenario = scenarioFromText(
      `${audio}ai: { speech: { asr: pocketsphinx, mt: { synthetic: 40ms }, tts: espeak-ng } }\n`,
      'x.yaml',
    );
    expect(scenario.ai.speech).toEqual({
      output: 'subtitles',
      asr: { engine: 'pocketsphinx' },
      mt: { engine: 'synthetic', ms: 40 },
      tts: { engine: 'espeak-ng' },
    });
    expect(scenarioFromText(`${audio}ai: { speech: { output: both } }\n`, 'x.yaml').ai.speech?.output).toBe('both');
    expect(problemsOf(`${VALID}ai: { speech: { output: voice } }\n`).join('\n')).toMatch(/ai\.speech\.output/);
    expect(scenario.ai.stages).toEqual([]);
    const problems = problemsOf(`${VALID}ai: { speech: { asr: whisper } }\n`).join('\n');
    expect(problems).toMatch(/ai\.speech\.asr/);
    expect(problemsOf(`${VALID}ai: { speech: {} }\n`).join('\n')).toMatch(
      /ai\.speech: the translation chain needs spoken audio/,
    );
  });
});
