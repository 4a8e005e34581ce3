/**
 * The reference SFU against bad input: malformed SDP, empty bodies, wrong content types, unknown
 * resources, missing tokens and garbage UDP on its media ports. After each, it must still serve.
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceServer } from '../../reference-server/server.js';
import { SyntheticPublisher } from '../../src/peers/synthetic/publisher.js';
import { SyntheticSubscriber } from '../../src/peers/synthetic/subscriber.js';
import type { ReceivedFrameRecord } from '../../src/peers/types.js';

const VIDEO = { width: 640, height: 360, fps: 30, bitrateKbps: 300, keyframeIntervalMs: 1000, source: 'synthetic' as const };

async function post(url: string, body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/sdp' }): Promise<Response> {
  return fetch(url, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
}

describe('reference SFU robustness', () => {
  let server: ReferenceServer;
  let base: string;

  beforeAll(async () => {
    server = new ReferenceServer({ token: undefined });
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
    for (const body of ['hello', 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n', `v=0\r\nm=video ${'x'.repeat(100)}`]) {
      const response = await post(`${base}/whip/r1`, body);
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('bad_sdp');
      expect(json.error.message.length).toBeGreaterThan(0);
    }
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
    const guarded = new ReferenceServer({ token: 's3cret' });
    const guardedBase = `http://127.0.0.1:${await guarded.listen(0)}`;
    try {
      const missing = await post(`${guardedBase}/whip/r1`, 'v=0\r\nm=video 9 X 96\r\n');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await post(`${guardedBase}/whip/r1`, 'v=0\r\nm=video 9 X 96\r\n', { 'content-type': 'application/sdp', authorization: 'Bearer nope' });
      expect(wrong.status).toBe(401);
      const publisher = new SyntheticPublisher({ peerId: 'p', kind: 'synthetic', room: 'r1', endpointUrl: `${guardedBase}/whip/r1`, token: 's3cret', publisherTag: 9, video: VIDEO }, () => undefined);
      await publisher.start(10_000);
      expect(publisher.streamId).toMatch(/^[0-9a-f-]{36}$/);
      await publisher.close();
    } finally {
      await guarded.close();
    }
  });

  it('keeps forwarding after garbage UDP on its media ports', async () => {
    const received: ReceivedFrameRecord[] = [];
    const publisher = new SyntheticPublisher({ peerId: 'p', kind: 'synthetic', room: 'g1', endpointUrl: `${base}/whip/g1`, publisherTag: 1, video: VIDEO }, () => undefined);
    await publisher.start(10_000);
    const subscriber = new SyntheticSubscriber(
      { peerId: 's', kind: 'synthetic', room: 'g1', sources: [{ endpointUrl: `${base}/whep/g1?stream=${publisher.streamId}`, publisherTag: 1 }] },
      (r) => received.push(r),
    );
    await subscriber.start(10_000);
    // the SFU's media ports, from the answers it gave
    const health = (await (await fetch(`${base}/healthz`)).json()) as { sessions: number };
    expect(health.sessions).toBeGreaterThanOrEqual(2);
    const ports = new Set<number>();
    for (const sdp of [(publisher as unknown as { pc: { remoteDescription: { sdp: string } } }).pc.remoteDescription.sdp]) {
      for (const match of sdp.matchAll(/a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host/gi)) ports.add(Number(match[1]));
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
    await new Promise((r) => setTimeout(r, 1500));
    socket.close();
    const before = received.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(received.length - before).toBeGreaterThan(20); // still about 30 frames per second
    await subscriber.close();
    await publisher.close();
    await expectHealthy();
  });
});
