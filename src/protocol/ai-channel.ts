/**
 * AI results to subscribers (tap mode): the SFU sends one JSON message per processed frame on the DataChannel
 * a subscriber opened with the label `glassbench-ai`:
 *
 *   {"f":"1:42","outcome":"done","hookMs":12.3,"stages":{"inference":12.1}}
 *
 * `f` is the frame key (as in the telemetry stream), `outcome` done | dropped | failed. The translation chain's
 * subtitles share the channel, keyed `sub:<n>` (n: the utterance's number on that publisher's audio):
 *
 *   {"f":"sub:3","t":"subtitle","text":"...","translation":"..."}
 *
 * Receivers treat every message as untrusted network input. Plain TypeScript: the page bundle uses it too.
 */
import type { AiFrameRecord } from './ai.js';

export const AI_CHANNEL_LABEL = 'glassbench-ai';
const MAX_MESSAGE_BYTES = 4096;

export function aiResultMessage(record: AiFrameRecord): string {
  const message: Record<string, unknown> = { f: record.f, outcome: record.outcome };
  if (record.hookMs !== undefined) message['hookMs'] = record.hookMs;
  if (record.stages) message['stages'] = record.stages;
  return JSON.stringify(message);
}

export function subtitleMessage(n: number, text: string, translation: string): string {
  return JSON.stringify({ f: `sub:${n}`, t: 'subtitle', text, translation });
}

/** The key (`f`) of a message, or undefined when it is not one of ours (too long, not JSON, no `f`). */
export function parseAiResult(data: string | Uint8Array): string | undefined {
  if (data.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const message = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)) as { f?: unknown };
    return typeof message.f === 'string' && message.f.length > 0 && message.f.length <= 128 ? message.f : undefined;
  } catch {
    return undefined;
  }
}
