/**
 * The scenario's `target`: the built-in SFU (`reference`), an SFU behind WHIP/WHEP URLs (with the network keys of
 * validate-target-network.ts and the remote SFU's `telemetry`), or a Janus VideoRoom (validate-janus.ts).
 */
import { type Problems, show, unknownKey } from './problems.js';
import type { RawScenario } from './schema.js';
import type { Target } from './types.js';
import { toJanusTarget } from './validate-janus.js';
import { TARGET_NETWORK_KEYS, toTargetNetwork } from './validate-target-network.js';

const isHttpUrl = (value: unknown): value is string => typeof value === 'string' && /^https?:\/\/[^\s]+$/.test(value);

export function toTarget(problems: Problems, value: RawScenario['target'], file: string): Target {
  if (value === undefined || value === 'reference') return { type: 'reference' };
  if (typeof value === 'string') {
    problems.add(
      ['target'],
      `must be "reference", { whip: URL, whep: URL } or { janus: URL, room: N }, got ${show(value)}`,
    );
    return { type: 'reference' };
  }
  const raw = value;
  if ('janus' in raw) return toJanusTarget(problems, raw);
  const knownKeys = ['whip', 'whep', 'token', 'telemetry', ...TARGET_NETWORK_KEYS];
  for (const key of Object.keys(raw)) {
    if (!knownKeys.includes(key)) problems.add(['target', key], unknownKey(key, knownKeys), { key: true });
  }
  for (const key of ['whip', 'whep']) {
    const url = raw[key];
    if (!isHttpUrl(url)) {
      problems.add(['target', key], `must be an http(s) URL, got ${show(url)}`);
    }
  }
  if (raw['token'] !== undefined && typeof raw['token'] !== 'string')
    problems.add(['target', 'token'], 'must be a string');
  const telemetry = raw['telemetry'];
  if (telemetry !== undefined && telemetry !== false && !isHttpUrl(telemetry))
    problems.add(['target', 'telemetry'], `must be the SFU's http(s) base URL or false, got ${show(telemetry)}`);
  const target: Target = {
    type: 'external',
    whipUrl: String(raw['whip']),
    whepUrl: String(raw['whep']),
    ...toTargetNetwork(problems, raw, file),
  };
  if (typeof raw['token'] === 'string') target.token = raw['token'];
  if (telemetry === false || typeof telemetry === 'string') target.telemetry = telemetry;
  return target;
}
