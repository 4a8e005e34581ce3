/**
 * AI results to subscribers (tap mode): the SFU sends one JSON message per processed frame on the DataChannel
 * a subscriber opened with the label `glassbench-ai`:
 *
 *   {"f":"1:42","outcome":"done","hookMs":12.3,"stages":{"inference":12.1}}
 *
 * `f` is the frame key (as in the stage stream), `outcome` done | dropped | failed. Receivers treat the
 * message as untrusted network input.
 */
import type { AiFrameRecord } from './types.js';

export const AI_CHANNEL_LABEL = 'glassbench-ai';
const MAX_MESSAGE_BYTES = 4096;

export function aiResultMessage(record: AiFrameRecord): string {
  const message: Record<string, unknown> = { f: record.f, outcome: record.outcome };
  if (record.hookMs !== undefined) message['hookMs'] = record.hookMs;
  if (record.stages) message['stages'] = record.stages;
  return JSON.stringify(message);
}

/** The frame key of a result message, or undefined when it is not one (too long, not JSON, no `f`). */
export function parseAiResult(data: string | Buffer): string | undefined {
  if (data.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const message = JSON.parse(typeof data === 'string' ? data : data.toString('utf8')) as { f?: unknown };
    return typeof message.f === 'string' && message.f.length > 0 && message.f.length <= 128 ? message.f : undefined;
  } catch {
    return undefined;
  }
}
