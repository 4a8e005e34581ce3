/**
 * The Janus HTTP API's messages (https://janus.conf.meetecho.com/docs/rest.html) and the VideoRoom plugin's
 * (https://janus.conf.meetecho.com/docs/videoroom.html): building requests and checking what comes back. Pure,
 * so every shape is unit tested; what Janus answers is network input and is checked before anything uses it.
 */
import { GlassbenchError } from '../../errors.js';

export const VIDEOROOM_PLUGIN = 'janus.plugin.videoroom';

export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** A Janus API request (the envelope); `janus` names it: create, attach, message, keepalive, detach, destroy. */
export interface JanusRequest {
  janus: string;
  transaction: string;
  token?: string;
  plugin?: string;
  body?: Record<string, unknown>;
  jsep?: Jsep;
}

/** One thing Janus sent: a reply to a request, or an event from the session's long poll. */
export interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  /** create and attach: the new session's or handle's id */
  dataId?: number;
  /** the plugin's own answer (`plugindata.data`) */
  pluginData?: Record<string, unknown>;
  jsep?: Jsep;
  error?: { code: number; reason: string };
}

export function request(
  janus: string,
  transaction: string,
  fields: Omit<JanusRequest, 'janus' | 'transaction'> = {},
): JanusRequest {
  const out: JanusRequest = { janus, transaction };
  if (fields.token !== undefined) out.token = fields.token;
  if (fields.plugin !== undefined) out.plugin = fields.plugin;
  if (fields.body !== undefined) out.body = fields.body;
  if (fields.jsep !== undefined) out.jsep = fields.jsep;
  return out;
}

/** VideoRoom bodies. Room and feed ids are numbers (the plugin's default `string_ids = false`). */
export const videoroom = {
  exists: (room: number) => ({ request: 'exists', room }),
  /**
   * A room for a benchmark: VP8 only (what glassbench publishes), no bitrate cap (0: the publisher's own), as many
   * publishers as the plan has, and not permanent (it lives until Janus restarts or someone destroys it).
   */
  create: (room: number, publishers: number) => ({
    request: 'create',
    room,
    description: `glassbench ${room}`,
    publishers,
    videocodec: 'vp8',
    bitrate: 0,
    fir_freq: 0,
    permanent: false,
  }),
  publish: (room: number, display: string) => ({ request: 'joinandconfigure', room, ptype: 'publisher', display }),
  subscribe: (room: number, feed: number) => ({ request: 'join', room, ptype: 'subscriber', streams: [{ feed }] }),
  start: () => ({ request: 'start' }),
  leave: () => ({ request: 'leave' }),
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(what: string, reason: string): never {
  throw new GlassbenchError('RUN_FAILED', `Janus ${what}: ${reason}`);
}

function idOf(value: unknown, what: string, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    fail(what, `${field} is not a positive integer id: ${JSON.stringify(value)}`);
  return value;
}

function jsepOf(value: unknown, what: string): Jsep | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || (value['type'] !== 'offer' && value['type'] !== 'answer') || typeof value['sdp'] !== 'string')
    fail(what, `jsep is not { type: offer|answer, sdp }: ${JSON.stringify(value).slice(0, 200)}`);
  if (!value['sdp'].startsWith('v=0')) fail(what, 'jsep.sdp is not an SDP (no v=0)');
  return { type: value['type'], sdp: value['sdp'] };
}

/** Checks one message Janus sent (`what` names the request it answers, for the error). */
export function parseMessage(value: unknown, what: string): JanusMessage {
  if (!isRecord(value) || typeof value['janus'] !== 'string')
    fail(what, `answered something that is not a Janus message: ${JSON.stringify(value)?.slice(0, 200)}`);
  const message: JanusMessage = { janus: value['janus'] };
  if (typeof value['transaction'] === 'string') message.transaction = value['transaction'];
  if (typeof value['sender'] === 'number') message.sender = value['sender'];
  if (message.janus === 'error') {
    const error = isRecord(value['error']) ? value['error'] : {};
    message.error = {
      code: typeof error['code'] === 'number' ? error['code'] : 0,
      reason: typeof error['reason'] === 'string' ? error['reason'] : 'no reason given',
    };
  }
  if (isRecord(value['data']) && value['data']['id'] !== undefined)
    message.dataId = idOf(value['data']['id'], what, 'data.id');
  const plugindata = value['plugindata'];
  if (plugindata !== undefined) {
    if (!isRecord(plugindata) || !isRecord(plugindata['data'])) fail(what, 'plugindata has no data object');
    message.pluginData = plugindata['data'];
  }
  const jsep = jsepOf(value['jsep'], what);
  if (jsep) message.jsep = jsep;
  return message;
}

/** A long poll's answer: one message, or an array of them (`maxev` > 1). */
export function parseEvents(value: unknown, what: string): JanusMessage[] {
  return (Array.isArray(value) ? value : [value]).map((v) => parseMessage(v, what));
}

/** Throws when Janus refused the request, or the plugin answered with an error. */
export function checkReply(message: JanusMessage, what: string): JanusMessage {
  if (message.error) fail(what, `error ${message.error.code}: ${message.error.reason}`);
  const data = message.pluginData;
  if (data && (data['error_code'] !== undefined || data['error'] !== undefined))
    fail(what, `VideoRoom error ${String(data['error_code'])}: ${String(data['error'] ?? 'no reason given')}`);
  return message;
}

/** `exists`: whether the room is there. */
export function roomExists(message: JanusMessage, what: string): boolean {
  const exists = checkReply(message, what).pluginData?.['exists'];
  if (typeof exists !== 'boolean') fail(what, 'the VideoRoom answer has no boolean `exists`');
  return exists;
}

/** VideoRoom error 427: the room already exists (another publisher created it first). */
export function isRoomExistsError(error: unknown): boolean {
  return error instanceof GlassbenchError && /VideoRoom error 427\b/.test(error.message);
}

/** `joinandconfigure`'s event: the publisher's feed id and Janus's answer. */
export function publisherJoined(message: JanusMessage, what: string): { feed: number; answerSdp: string } {
  const data = checkReply(message, what).pluginData;
  if (data?.['videoroom'] !== 'joined')
    fail(what, `expected videoroom "joined", got ${JSON.stringify(data?.['videoroom'])}`);
  const feed = idOf(data['id'], what, 'id');
  if (message.jsep?.type !== 'answer') fail(what, 'the joined event carries no JSEP answer');
  return { feed, answerSdp: message.jsep.sdp };
}

/** A subscriber's `join` event: Janus's offer for the feed. */
export function subscriberAttached(message: JanusMessage, what: string): { offerSdp: string } {
  const data = checkReply(message, what).pluginData;
  if (data?.['videoroom'] !== 'attached')
    fail(what, `expected videoroom "attached", got ${JSON.stringify(data?.['videoroom'])}`);
  if (message.jsep?.type !== 'offer') fail(what, 'the attached event carries no JSEP offer');
  return { offerSdp: message.jsep.sdp };
}

/** `start`'s event: `started: "ok"`. */
export function subscriberStarted(message: JanusMessage, what: string): void {
  const data = checkReply(message, what).pluginData;
  if (data?.['started'] !== 'ok') fail(what, `expected started "ok", got ${JSON.stringify(data)?.slice(0, 200)}`);
}
