/** `ai.worker.format`, `maxBatch` and `callTimeout`: decoded pictures to an external worker on the real video path only. */
import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const PEERS = `name: w
duration: 5s
peers:
  - { role: publisher, count: 1, video: { source: encoded } }
  - { role: subscriber, count: 1 }
`;
const REAL_VIDEO = `  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: blur } }
    - { name: encode, model: { vp8: {} } }
`;

describe('ai.worker format', () => {
  it('hands an external worker decoded pictures on the real video path, VP8 on synthetic stages', () => {
    const pictures = scenarioFromText(
      `${PEERS}ai:\n${REAL_VIDEO}  worker: { type: external, socket: /tmp/w.sock }\n`,
      'w.yaml',
    );
    expect(pictures.ai.backend).toEqual({ type: 'external', format: 'i420', socketPath: '/tmp/w.sock' });
    const explicit = scenarioFromText(
      `${PEERS}ai:\n${REAL_VIDEO}  worker: { type: external, format: i420 }\n`,
      'w.yaml',
    );
    expect(explicit.ai.backend).toEqual({ type: 'external', format: 'i420' });
    const vp8 = scenarioFromText(
      `${PEERS}ai:\n  stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ]\n  worker: { type: external, maxBatch: 4 }\n`,
      'w.yaml',
    );
    expect(vp8.ai.backend).toEqual({ type: 'external', format: 'vp8', maxBatch: 4 });
  });

  it('takes callTimeout for an external worker only, at least 100 ms', () => {
    const timed = scenarioFromText(
      `${PEERS}ai:\n${REAL_VIDEO}  worker: { type: external, socket: /tmp/w.sock, callTimeout: 20s }\n`,
      'w.yaml',
    );
    expect(timed.ai.backend).toMatchObject({ type: 'external', callTimeoutMs: 20_000 });
    const problems = (worker: string): string =>
      problemsOf(`${PEERS}ai:\n${REAL_VIDEO}  worker: ${worker}\n`).join('\n');
    expect(problems('{ type: in-process, callTimeout: 2s }')).toMatch(
      /^x\.yaml:\d+:\d+ ai\.worker\.callTimeout: only an external worker has calls to time out$/m,
    );
    expect(problems('{ type: external, callTimeout: 10ms }')).toMatch(
      /ai\.worker\.callTimeout: must be at least 100ms, got 10 ms/,
    );
  });

  it('allows GPUs for the external worker on the real video path', () => {
    const gpus = scenarioFromText(
      `${PEERS}ai:\n${REAL_VIDEO}  worker: { type: external }\n  devices: gpus\n`,
      'w.yaml',
    );
    expect(gpus.ai.gpus).toBe(true);
  });

  it('refuses each mismatch with its place and what is accepted', () => {
    const problems = (ai: string): string => problemsOf(`${PEERS}ai:\n${ai}`).join('\n');
    expect(problems(`${REAL_VIDEO}  worker: { type: external, format: vp8 }\n`)).toMatch(
      /ai\.worker\.format: the real video path hands the worker decoded pictures: format i420/,
    );
    expect(
      problems(
        '  stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ]\n  worker: { type: external, format: i420 }\n',
      ),
    ).toMatch(/ai\.worker\.format: i420 hands the worker decoded pictures: it needs the real video path/);
    expect(
      problems(
        '  stages:\n    - { name: decode, model: { vp8: {} } }\n    - { name: encode, model: { vp8: {} } }\n  worker: { type: external }\n',
      ),
    ).toMatch(/ai\.stages: an external worker on the real video path runs the inference stage: add one/);
    expect(problems(`${REAL_VIDEO}  worker: { type: external, socket: /tmp/w.sock, maxBatch: 4 }\n`)).toMatch(
      /ai\.worker\.maxBatch: maxBatch sets the reference worker the SFU starts/,
    );
    expect(problems(`${REAL_VIDEO}  devices: gpus\n`)).toMatch(
      /ai\.devices: the real video path runs on the SFU's CPU/,
    );
    expect(problems(`${REAL_VIDEO}  worker: { type: external, format: jpeg }\n`)).toMatch(/ai\.worker\.format/);
    expect(problems(`${REAL_VIDEO}  worker: { type: external, maxBatch: 0 }\n`)).toMatch(/ai\.worker\.maxBatch/);
  });
});
