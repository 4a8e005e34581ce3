/** The Janus session against a fake Janus HTTP API on loopback: async requests answered on the long poll. */
import { createServer, type IncomingMessage, type Server } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { JanusSession } from '../../../../src/peers/janus/session.js';
import { publishToRoom } from '../../../../src/peers/janus/videoroom.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n';

interface Fake {
  url: string;
  requests: Record<string, unknown>[];
  /** events the next long polls hand out */
  queue: unknown[];
  server: Server;
}

function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
  });
}

/** A Janus that knows one session (1) and handle (2); a VideoRoom that answers `join`s per `onMessage`. */
async function fakeJanus(onMessage: (b: Record<string, unknown>, fake: Fake) => unknown): Promise<Fake> {
  const fake: Fake = { url: '', requests: [], queue: [], server: createServer() };
  const waiting: ((event: unknown) => void)[] = [];
  fake.queue.push = (...events: unknown[]): number => {
    for (const e of events) {
      const w = waiting.shift();
      if (w) w(e);
      else Array.prototype.push.call(fake.queue, e);
    }
    return fake.queue.length;
  };
  fake.server.on('request', (req, res) => {
    const reply = (value: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    if (req.method === 'GET') {
      const next = fake.queue.shift();
      if (next !== undefined) reply(next);
      else waiting.push(reply);
      return;
    }
    void body(req).then((b) => {
      fake.requests.push({ path: req.url, ...b });
      const t = b['transaction'];
      if (b['janus'] === 'create') reply({ janus: 'success', transaction: t, data: { id: 1 } });
      else if (b['janus'] === 'attach') reply({ janus: 'success', transaction: t, data: { id: 2 } });
      else if (b['janus'] === 'destroy') reply({ janus: 'success', transaction: t });
      else reply(onMessage(b, fake));
    });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  const address = fake.server.address();
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/janus`;
  return fake;
}

let fake: Fake | undefined;
afterEach(async () => {
  fake?.server.closeAllConnections();
  await new Promise((r) => fake?.server.close(r));
});

const event = (t: unknown, data: Record<string, unknown>, jsep?: unknown): unknown => ({
  janus: 'event',
  transaction: t,
  sender: 2,
  plugindata: { plugin: 'janus.plugin.videoroom', data },
  ...(jsep ? { jsep } : {}),
});

describe('JanusSession', () => {
  it('publishes: creates a missing room, joins with the offer, gets the answer and feed from the long poll', async () => {
    fake = await fakeJanus((b, f) => {
      const request = (b['body'] as { request: string }).request;
      const t = b['transaction'];
      if (request === 'exists')
        return { janus: 'success', transaction: t, plugindata: { data: { videoroom: 'success', exists: false } } };
      if (request === 'create')
        return { janus: 'success', transaction: t, plugindata: { data: { videoroom: 'created', room: 7100 } } };
      // async: ack now, the event later (after an unrelated one) on the long poll
      f.queue.push({ janus: 'webrtcup', session_id: 1, sender: 2 });
      f.queue.push(event(t, { videoroom: 'joined', room: 7100, id: 555 }, { type: 'answer', sdp: SDP }));
      return { janus: 'ack', transaction: t };
    });
    const publication = await publishToRoom({
      url: fake.url,
      token: 'k',
      room: 7100,
      createRoom: true,
      display: 'p',
      offerSdp: SDP,
    });
    expect(publication).toMatchObject({ feed: 555, answerSdp: SDP });
    const bodies = fake.requests.map((r) => [
      r['janus'],
      (r['body'] as { request?: string } | undefined)?.request,
      r['path'],
    ]);
    expect(bodies).toEqual([
      ['create', undefined, '/janus'],
      ['attach', undefined, '/janus/1'],
      ['message', 'exists', '/janus/1/2'],
      ['message', 'create', '/janus/1/2'],
      ['message', 'joinandconfigure', '/janus/1/2'],
    ]);
    expect(fake.requests.every((r) => r['token'] === 'k')).toBe(true);
    expect(fake.requests[4]?.['jsep']).toEqual({ type: 'offer', sdp: SDP });
    await publication.close();
    expect(fake.requests.slice(5).map((r) => r['janus'])).toEqual(['message', 'destroy']);
  });

  it('rejects with the request named when the VideoRoom refuses it', async () => {
    fake = await fakeJanus((b, f) => {
      f.queue.push(event(b['transaction'], { videoroom: 'event', error_code: 426, error: 'No such room (7100)' }));
      return { janus: 'ack', transaction: b['transaction'] };
    });
    await expect(
      publishToRoom({ url: fake.url, room: 7100, createRoom: false, display: 'p', offerSdp: SDP }),
    ).rejects.toThrow('Janus joinandconfigure room 7100: VideoRoom error 426: No such room (7100)');
    expect(fake.requests.at(-1)?.['janus']).toBe('destroy');
  });

  it('fails what waits when Janus says the session is gone', async () => {
    fake = await fakeJanus((b, f) => {
      f.queue.push({ janus: 'error', session_id: 1, error: { code: 458, reason: 'No such session 1' } });
      return { janus: 'ack', transaction: b['transaction'] };
    });
    const session = new JanusSession({ url: fake.url });
    await session.open();
    const handle = await session.attach('janus.plugin.videoroom');
    await expect(
      session.message(handle, { request: 'join', room: 1, ptype: 'subscriber', streams: [{ feed: 3 }] }),
    ).rejects.toThrow(/Janus session 1 is gone: No such session 1/);
    await session.close();
  });

  it('times out an event that never comes, naming the request', async () => {
    fake = await fakeJanus((b) => ({ janus: 'ack', transaction: b['transaction'] }));
    const session = new JanusSession({ url: fake.url, eventTimeoutMs: 200 });
    await session.open();
    await expect(session.message(2, { request: 'start' })).rejects.toThrow(
      'Janus start on handle 2: no event within 200 ms',
    );
    await session.close();
  });
});
