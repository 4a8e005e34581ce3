/**
 * One Janus API session over HTTP: create it, attach plugin handles, send messages and wait for their events.
 * Janus answers asynchronous requests (join, joinandconfigure, start) with `ack` and delivers the result as an
 * event on the session's long poll (GET /janus/<session>), matched here by transaction. The long poll is also
 * what keeps the session alive: Janus drops a session it has not heard from in `session_timeout` (60 s by
 * default), and every poll counts.
 */
import { randomBytes } from 'node:crypto';

import { GlassbenchError } from '../../errors.js';
import { checkReply, type JanusMessage, type Jsep, parseEvents, parseMessage, request } from './messages.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** Janus holds a long poll up to 30 s before it answers with a keepalive; a little more before giving up on it */
const POLL_TIMEOUT_MS = 35_000;
/** after a failed poll, wait this long before the next, so a restarting Janus is not hammered */
const POLL_RETRY_MS = 1000;

export interface JanusSessionOptions {
  /** the Janus HTTP API, e.g. http://host:8088/janus */
  url: string;
  /** Janus token auth: sent as `token` in every request; default none */
  token?: string;
  /** how long an asynchronous request waits for its event, ms; default 10000 */
  eventTimeoutMs?: number;
}

interface Waiter {
  what: string;
  resolve: (message: JanusMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

function transactionId(): string {
  return randomBytes(9).toString('base64url');
}

async function postJson(url: string, body: unknown, what: string): Promise<unknown> {
  return httpJson(
    url,
    what,
    { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    REQUEST_TIMEOUT_MS,
  );
}

async function httpJson(
  url: string,
  what: string,
  init: RequestInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<unknown> {
  let response: Response;
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    response = await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    throw new GlassbenchError(
      'RUN_FAILED',
      `Janus ${what} (${init.method} ${url}) failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const text = await response.text();
  if (response.status !== 200)
    throw new GlassbenchError(
      'RUN_FAILED',
      `Janus ${what} (${init.method} ${url}) answered ${response.status}: ${text.slice(0, 300)}`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GlassbenchError(
      'RUN_FAILED',
      `Janus ${what} (${init.method} ${url}) answered with no JSON: ${text.slice(0, 200)}`,
    );
  }
}

export class JanusSession {
  private readonly url: string;
  private readonly token: string | undefined;
  private readonly eventTimeoutMs: number;
  private sessionId = 0;
  private readonly waiters = new Map<string, Waiter>();
  private readonly polling = new AbortController();
  private closed = false;
  /** events no request waits for (webrtcup, media, hangup, slowlink): counted, the last one kept for errors */
  unsolicited = 0;
  lastHangup: string | undefined;
  /** set when Janus said the session no longer exists */
  lost: string | undefined;

  constructor(options: JanusSessionOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.eventTimeoutMs = options.eventTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  get id(): number {
    return this.sessionId;
  }

  /** Creates the session and starts its long poll. */
  async open(): Promise<void> {
    const reply = checkReply(
      parseMessage(await postJson(this.url, this.envelope('create'), 'create'), 'create'),
      'create',
    );
    if (reply.dataId === undefined) throw new GlassbenchError('RUN_FAILED', 'Janus create: the answer has no data.id');
    this.sessionId = reply.dataId;
    void this.poll();
  }

  /** Attaches a plugin handle; resolves with its id. */
  async attach(plugin: string): Promise<number> {
    const what = `attach ${plugin}`;
    const reply = checkReply(
      parseMessage(await postJson(this.sessionUrl(), this.envelope('attach', { plugin }), what), what),
      what,
    );
    if (reply.dataId === undefined) throw new GlassbenchError('RUN_FAILED', `Janus ${what}: the answer has no data.id`);
    return reply.dataId;
  }

  /**
   * Sends a plugin message on a handle. A synchronous plugin request (exists, create) resolves with Janus's
   * `success`; an asynchronous one (`ack`) resolves with the event of the same transaction.
   */
  async message(handle: number, body: Record<string, unknown>, jsep?: Jsep, label?: string): Promise<JanusMessage> {
    const what = label ?? `${String(body['request'])} on handle ${handle}`;
    const envelope = this.envelope('message', jsep ? { body, jsep } : { body });
    const event = this.waitFor(envelope.transaction, what);
    // the event may come (or the session fail) before the POST's own answer: handled here, awaited below
    event.catch(() => undefined);
    let reply: JanusMessage;
    try {
      const answer = await postJson(`${this.sessionUrl()}/${handle}`, envelope, what);
      reply = checkReply(parseMessage(answer, what), what);
    } catch (error) {
      this.settle(envelope.transaction, error as Error);
      throw error;
    }
    if (reply.janus === 'ack') return checkReply(await event, what);
    this.settle(envelope.transaction, undefined);
    if (reply.janus !== 'success')
      throw new GlassbenchError('RUN_FAILED', `Janus ${what}: unexpected answer "${reply.janus}"`);
    return reply;
  }

  /** Idempotent: stops the long poll and destroys the session (which detaches its handles); best effort. */
  async close(): Promise<Error | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    this.polling.abort();
    for (const transaction of [...this.waiters.keys()]) this.settle(transaction, new Error('the Janus session closed'));
    if (!this.sessionId) return undefined;
    try {
      checkReply(
        parseMessage(await postJson(this.sessionUrl(), this.envelope('destroy'), 'destroy'), 'destroy'),
        'destroy',
      );
      return undefined;
    } catch (error) {
      return error as Error;
    }
  }

  private sessionUrl(): string {
    return `${this.url}/${this.sessionId}`;
  }

  private envelope(janus: string, fields: { plugin?: string; body?: Record<string, unknown>; jsep?: Jsep } = {}) {
    return request(janus, transactionId(), this.token === undefined ? fields : { ...fields, token: this.token });
  }

  private waitFor(transaction: string, what: string): Promise<JanusMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.settle(
            transaction,
            new GlassbenchError('RUN_FAILED', `Janus ${what}: no event within ${this.eventTimeoutMs} ms`),
          ),
        this.eventTimeoutMs,
      );
      this.waiters.set(transaction, { what, resolve, reject, timer });
    });
  }

  private settle(transaction: string, outcome: JanusMessage | Error | undefined): void {
    const waiter = this.waiters.get(transaction);
    if (!waiter) return;
    this.waiters.delete(transaction);
    clearTimeout(waiter.timer);
    if (outcome instanceof Error) waiter.reject(outcome);
    else if (outcome) waiter.resolve(outcome);
  }

  /** The long poll: delivers events to their waiters until the session closes. */
  private async poll(): Promise<void> {
    const params = new URLSearchParams({ maxev: '10', ...(this.token === undefined ? {} : { token: this.token }) });
    while (!this.closed) {
      let events: JanusMessage[];
      try {
        const body = await httpJson(
          `${this.sessionUrl()}?${params}`,
          'long poll',
          { method: 'GET' },
          POLL_TIMEOUT_MS,
          this.polling.signal,
        );
        events = parseEvents(body, 'long poll');
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, POLL_RETRY_MS).unref());
        continue;
      }
      const gone = events.find((e) => e.error?.code === 458);
      if (gone) {
        // "No such session": Janus timed it out (or restarted); it cannot come back, so whoever waits fails now
        const reason = `Janus session ${this.sessionId} is gone: ${gone.error?.reason ?? ''}`;
        for (const transaction of [...this.waiters.keys()])
          this.settle(transaction, new GlassbenchError('RUN_FAILED', reason));
        this.lost = reason;
        return;
      }
      for (const event of events) this.deliver(event);
    }
  }

  private deliver(event: JanusMessage): void {
    if (event.janus === 'keepalive') return;
    if (event.transaction && this.waiters.has(event.transaction) && event.janus !== 'ack') {
      this.settle(event.transaction, event);
      return;
    }
    this.unsolicited += 1;
    if (event.janus === 'hangup') this.lastHangup = `handle ${event.sender ?? '?'} hung up`;
  }
}
