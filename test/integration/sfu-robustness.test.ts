/**
 * The reference SFU against bad input: malformed and mutated SDP, empty bodies, wrong content types, unknown
 * resources, missing tokens, floods of session set-ups, idle sessions, and garbage or truncated packets on its
 * media ports. After each, it must still serve. Everything runs against a one-process SFU and against one with two
 * worker processes behind its HTTP front: from outside they must look alike.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

import { ReferenceServer } from '../../reference-server/server.js';
import { SyntheticPublisher } from '../../src/peers/synthetic/publisher.js';
import { SyntheticSubscriber } from '../../src/peers/synthetic/subscriber.js';
import type { ReceivedFrameRecord } from '../../src/protocol/runner-ipc.js';
import { CLI } from '../fixtures/cli.js';
import { fuzzRuns, reportFuzz } from '../fixtures/fuzz.js';
import { post, realOffer } from '../fixtures/sfu-http.js';

const VIDEO = {
  width: 640,
  height: 360,
  fps: 30,
  bitrateKbps: 300,
  keyframeIntervalMs: 1000,
  source: 'synthetic' as const,
};

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
/** Datagrams that look like each protocol a media port speaks, with hostile fields and lengths. */
const HOSTILE_DATAGRAMS = {
  // RTP: version 2, any marker and payload type, sequence, timestamp, SSRC, CSRC count and extension bit
  rtp: fc
    .tuple(fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 255 }), bytes(10, 10), bytes(0, 1200))
    .map(([flags, pt, fields, rest]) => Buffer.concat([Buffer.from([0x80 | flags, pt]), fields, rest])),
  // RTCP: version 2, payload types 192-207 (SR, RR, SDES, BYE, APP, feedback), any declared length
  rtcp: fc
    .tuple(
      fc.integer({ min: 0, max: 0x3f }),
      fc.integer({ min: 192, max: 207 }),
      fc.nat({ max: 0xffff }),
      bytes(0, 400),
    )
    .map(([count, pt, length, rest]) =>
      Buffer.concat([Buffer.from([0x80 | count, pt, length >> 8, length & 0xff]), rest]),
    ),
  // STUN: a message type, any declared length, the magic cookie, a transaction id, then attributes of any kind
  stun: fc
    .tuple(fc.nat({ max: 0x3fff }), fc.nat({ max: 0xffff }), bytes(12, 12), bytes(0, 300))
    .map(([type, length, transaction, rest]) =>
      Buffer.concat([
        Buffer.from([type >> 8, type & 0xff, length >> 8, length & 0xff, 0x21, 0x12, 0xa4, 0x42]),
        transaction,
        rest,
      ]),
    ),
  // DTLS: content types 20-25, DTLS 1.0/1.2 versions, any epoch, sequence and declared length
  dtls: fc
    .tuple(
      fc.integer({ min: 20, max: 25 }),
      fc.constantFrom(0xfd, 0xff),
      bytes(8, 8),
      fc.nat({ max: 0xffff }),
      bytes(0, 400),
    )
    .map(([type, minor, epochSeq, length, rest]) =>
      Buffer.concat([Buffer.from([type, 0xfe, minor]), epochSeq, Buffer.from([length >> 8, length & 0xff]), rest]),
    ),
};

describe.each([1, 2])('reference SFU robustness (workers: %i)', (workers) => {
  let server: ReferenceServer;
  let base: string;

  beforeAll(async () => {
    server = new ReferenceServer({ token: undefined, workers });
    base = `http://127.0.0.1:${await server.listen(0)}`;
  });

  afterAll(async () => {
    await server.close();
  });

  async function expectHealthy(): Promise<void> {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  }

  it('answers malformed SDP with 400 and a JSON error', async () => {
    for (const body of [
      'hello',
      'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n',
      `v=0\r\nm=video ${'x'.repeat(100)}`,
    ]) {
      const response = await post(`${base}/whip/r1`, body);
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('bad_sdp');
      expect(json.error.message.length).toBeGreaterThan(0);
    }
    await expectHealthy();
  });

  it('answers an offer in codecs it does not take with 400 naming what it accepts and what was offered', async () => {
    const pc = new RTCPeerConnection({
      codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000 })], audio: [] },
    });
    pc.addTransceiver('video', { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const response = await post(`${base}/whip/h264`, pc.localDescription?.sdp ?? '');
    await pc.close();
    expect(response.status).toBe(400);
    const json = (await response.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('bad_sdp');
    expect(json.error.message).toContain(
      'this SFU accepts video VP8/90000, audio opus/48000/2; the offer has video H264/90000',
    );
    await expectHealthy();
  });

  it('answers a WHIP POST with no body with 400', async () => {
    const response = await post(`${base}/whip/r1`, undefined);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'empty_body' } });
    await expectHealthy();
  });

  it('answers a wrong content type with 415 and an oversized body with 413', async () => {
    expect((await post(`${base}/whip/r1`, 'v=0', { 'content-type': 'application/json' })).status).toBe(415);
    const huge = await post(`${base}/whip/r1`, `v=0\r\n${'a=x\r\n'.repeat(20_000)}`);
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: 'body_too_large' } });
    await expectHealthy();
  });

  it('answers a DELETE of an unknown resource with 404', async () => {
    for (const path of ['/whip/r1/00000000-0000-0000-0000-000000000000', '/whep/nowhere/abc', '/whip/r1/../../etc']) {
      const response = await fetch(`${base}${path}`, { method: 'DELETE' });
      expect(response.status).toBe(404);
    }
    await expectHealthy();
  });

  it('answers WHEP for a room without a stream with 404, and an unknown route with 404', async () => {
    expect((await post(`${base}/whep/empty-room`, 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n')).status).toBe(404);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await post(`${base}/whip/bad%20room`, 'v=0')).status).toBe(400);
  });

  it('requires the Bearer token when one is configured', async () => {
    const guarded = new ReferenceServer({ token: 's3cret', workers });
    const guardedBase = `http://127.0.0.1:${await guarded.listen(0)}`;
    try {
      const missing = await post(`${guardedBase}/whip/r1`, 'v=0\r\nm=video 9 X 96\r\n');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await post(`${guardedBase}/whip/r1`, 'v=0\r\nm=video 9 X 96\r\n', {
        'content-type': 'application/sdp',
        authorization: 'Bearer nope',
      });
      expect(wrong.status).toBe(401);
      const publisher = new SyntheticPublisher({
        spec: {
          peerId: 'p',
          kind: 'synthetic',
          room: 'r1',
          endpointUrl: `${guardedBase}/whip/r1`,
          token: 's3cret',
          publisherTag: 9,
          video: VIDEO,
        },
      });
      await publisher.start(10_000);
      expect(publisher.streamId).toMatch(/^[0-9a-f-]{36}$/);
      await publisher.close();
    } finally {
      await guarded.close();
    }
  });

  it('keeps forwarding after garbage and 10,000 hostile RTP, RTCP, STUN and DTLS datagrams each on its media ports', async () => {
    const received: ReceivedFrameRecord[] = [];
    const publisher = new SyntheticPublisher({
      spec: {
        peerId: 'p',
        kind: 'synthetic',
        room: 'g1',
        endpointUrl: `${base}/whip/g1`,
        publisherTag: 1,
        video: VIDEO,
      },
    });
    await publisher.start(10_000);
    const subscriber = new SyntheticSubscriber({
      spec: {
        peerId: 's',
        kind: 'synthetic',
        room: 'g1',
        sources: [{ endpointUrl: `${base}/whep/g1?stream=${publisher.streamId}`, publisherTag: 1 }],
      },
    }).on('received', (r) => received.push(r));
    await subscriber.start(10_000);
    // the SFU's media ports, from the answers it gave
    const health = (await (await fetch(`${base}/healthz`)).json()) as { sessions: number };
    expect(health.sessions).toBeGreaterThanOrEqual(2);
    const ports = new Set<number>();
    for (const sdp of [
      (publisher as unknown as { pc: { remoteDescription: { sdp: string } } }).pc.remoteDescription.sdp,
    ]) {
      for (const match of sdp.matchAll(/a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host/gi))
        ports.add(Number(match[1]));
    }
    expect(ports.size).toBeGreaterThan(0);
    const socket = createSocket('udp4');
    const garbage = [
      randomBytes(1),
      randomBytes(12),
      Buffer.concat([Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]), randomBytes(200)]), // RTP-looking, bad SRTP
      Buffer.concat([Buffer.from([0x81, 0xc8, 0, 6]), randomBytes(24)]), // RTCP-looking
      Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42]), randomBytes(20)]), // STUN-looking, truncated
      Buffer.concat([Buffer.from([0x16, 0xfe, 0xfd]), randomBytes(60)]), // DTLS-looking
      randomBytes(1400),
    ];
    for (let round = 0; round < 30; round += 1) {
      for (const port of ports) for (const packet of garbage) socket.send(packet, port, '127.0.0.1');
    }
    // then, seeded, 10,000 (GLASSBENCH_FUZZ_RUNS) datagrams of each kind: each kind's header with its fields and
    // lengths drawn at random, and random bytes after it
    const runs = fuzzRuns(10_000);
    const sent: Record<string, number> = {};
    for (const [kind, make] of Object.entries(HOSTILE_DATAGRAMS)) {
      const packets = fc.sample(make, { seed: 2212, numRuns: runs });
      for (let i = 0; i < packets.length; i += 1) {
        for (const port of ports) socket.send(packets[i] as Uint8Array, port, '127.0.0.1');
        // a pause now and then, so the socket's buffers pass them on instead of dropping most
        if (i % 500 === 499) await new Promise((r) => setImmediate(r));
      }
      sent[kind] = packets.length;
    }
    reportFuzz(`SFU media datagrams (workers ${workers}, ${ports.size} port(s))`, sent);
    await new Promise((r) => setTimeout(r, 1500));
    socket.close();
    const before = received.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(received.length - before).toBeGreaterThan(20); // still about 30 frames per second
    await subscriber.close();
    await publisher.close();
    await expectHealthy();
  });

  it('enforces its limits: rooms (503), sessions per room (429), set-ups per second (429), idle publishers (closed)', async () => {
    const limited = new ReferenceServer({
      workers,
      maxRooms: 2,
      maxSessionsPerRoom: 2,
      maxSetupsPerSecond: 1000,
      idleTimeoutMs: 1500,
    });
    const limitedBase = `http://127.0.0.1:${await limited.listen(0)}`;
    try {
      const offer = await realOffer();
      const created: string[] = [];
      const make = async (room: string): Promise<Response> => {
        const response = await post(`${limitedBase}/whip/${room}`, offer);
        if (response.status === 201) created.push(response.headers.get('location') ?? '');
        return response;
      };
      expect((await make('a')).status).toBe(201);
      expect((await make('b')).status).toBe(201);
      const third = await make('c');
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('5');
      expect((await third.json()) as unknown).toMatchObject({ error: { code: 'too_many_rooms' } });
      expect((await make('a')).status).toBe(201);
      const full = await make('a');
      expect(full.status).toBe(429);
      expect((await full.json()) as unknown).toMatchObject({ error: { code: 'room_full' } });
      for (const location of created) await fetch(new URL(location, limitedBase), { method: 'DELETE' });
    } finally {
      await limited.close();
    }
    // a flood of set-ups: beyond the rate, 429 with Retry-After; the server keeps serving
    const throttled = new ReferenceServer({ maxSetupsPerSecond: 5, workers });
    const throttledBase = `http://127.0.0.1:${await throttled.listen(0)}`;
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => post(`${throttledBase}/whip/flood`, 'v=0\r\nm=video 9 X 96\r\n')),
      );
      const limitedCount = answers.filter((r) => r.status === 429).length;
      expect(limitedCount).toBeGreaterThanOrEqual(30);
      expect(answers.find((r) => r.status === 429)?.headers.get('retry-after')).toBe('1');
      expect(answers.every((r) => r.status === 429 || r.status === 400)).toBe(true);
    } finally {
      await throttled.close();
    }
    // an idle publisher (connected, sending nothing) is closed after the idle timeout
    const idle = new ReferenceServer({ idleTimeoutMs: 1500, workers });
    const idleBase = `http://127.0.0.1:${await idle.listen(0)}`;
    try {
      const publisher = new SyntheticPublisher({
        spec: {
          peerId: 'p',
          kind: 'synthetic',
          room: 'idle',
          endpointUrl: `${idleBase}/whip/idle`,
          publisherTag: 1,
          video: VIDEO,
        },
      });
      await publisher.start(10_000);
      publisher.stopSending();
      const sessions = async (): Promise<number> =>
        ((await (await fetch(`${idleBase}/healthz`)).json()) as { sessions: number }).sessions;
      expect(await sessions()).toBe(1);
      await new Promise((r) => setTimeout(r, 3500));
      expect(await sessions()).toBe(0);
      await publisher.close();
    } finally {
      await idle.close();
    }
  }, 60_000);

  it('guards /metrics and /stats with the token too, and never prints the token', async () => {
    const token = 'tok-' + randomBytes(8).toString('hex');
    const child = spawn(process.execPath, [CLI, 'sfu', '--port', '0', '--token', token, '--workers', String(workers)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const url = await new Promise<string>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) resolve(match[1] as string);
      }),
    );
    try {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/stats`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('glassbench_sfu_');
      const refused = await post(`${url}/whip/r1`, 'v=0\r\nm=video 9 X 96\r\n', {
        'content-type': 'application/sdp',
        authorization: `Bearer ${token}x`,
      });
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain(token);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    expect(output).not.toContain(token.slice(4));
  });
});
