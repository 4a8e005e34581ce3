/**
 * Mutated offers with hostile headers against the reference SFU's WHIP and WHEP endpoints, seeded: each is
 * answered 201 or a 4xx with a JSON error code, never a 5xx, no session is left behind and the SFU stays healthy.
 * A WHEP offer subscribes to a real publisher in its room, so it gets as far as negotiation; its `?stream=` is
 * hostile too. Against a one-process SFU and against one with two worker processes behind its HTTP front.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ReferenceServer } from '../../reference-server/server.js';
import { SyntheticPublisher } from '../../src/peers/synthetic/publisher.js';
import { fuzzRuns, reportFuzz } from '../fixtures/fuzz.js';
import { post, realOffer } from '../fixtures/sfu-http.js';

/** one edit of an offer's lines */
const EDIT = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), line: fc.nat() }),
  fc.record({
    op: fc.constant('garble' as const),
    line: fc.nat(),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        '\u0000',
        '99999999999',
        '-1',
        ' ',
        '=',
        ':',
        'a=',
        'm=video 0 X 0',
        'a=ssrc:4294967296 cname:x',
        'a=fingerprint:sha-256 ZZ',
        'a=sendonly',
        'a=recvonly',
        'a=inactive',
      ),
    ),
  }),
  fc.record({ op: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }),
);
type Edit = typeof EDIT extends fc.Arbitrary<infer T> ? T : never;

/** hostile headers: content types, tokens and made-up headers */
const HEADERS = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/sdp',
      'application/sdp; charset=utf-8',
      'APPLICATION/SDP',
      'application/sdp;;;',
      'text/plain',
      '',
    ),
    authorization: fc.constantFrom('Bearer ', 'Bearer x', 'Basic Zm9vOmJhcg==', 'x'.repeat(4000)),
    'x-glassbench-junk': fc.string({ maxLength: 50 }).map((v) => v.replace(/[^\x20-\x7e]/g, '')),
  },
  { requiredKeys: ['content-type'] },
);

/** WHEP's `?stream=`: none, the publisher's, or anything */
const STREAM = fc.oneof(
  fc.constant(undefined),
  fc.constant('publisher'),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', '../..', '%', 'x'.repeat(2000)),
);

function edited(lines: string[], edits: Edit[]): string {
  const out = [...lines];
  for (const e of edits) {
    const i = e.line % out.length;
    if (e.op === 'drop') out.splice(i, 1);
    else if (e.op === 'dup') out.splice(i, 0, out[i] ?? '');
    else if (e.op === 'swap') {
      const j = e.other % out.length;
      [out[i], out[j]] = [out[j] ?? '', out[i] ?? ''];
    } else {
      const line = out[i] ?? '';
      const at = e.at % Math.max(1, line.length);
      out[i] = line.slice(0, at) + e.text + line.slice(at + 1);
    }
  }
  return out.join('\r\n');
}

describe.each([1, 2])('reference SFU offer fuzz (workers: %i)', (workers) => {
  let server: ReferenceServer;
  let base: string;
  let publisher: SyntheticPublisher;

  beforeAll(async () => {
    server = new ReferenceServer({ token: undefined, workers });
    base = `http://127.0.0.1:${await server.listen(0)}`;
    // the stream WHEP offers subscribe to
    publisher = new SyntheticPublisher({
      spec: {
        peerId: 'p',
        kind: 'synthetic',
        room: 'fuzz-whep',
        endpointUrl: `${base}/whip/fuzz-whep`,
        publisherTag: 1,
        video: { width: 320, height: 180, fps: 10, bitrateKbps: 100, keyframeIntervalMs: 1000, source: 'synthetic' },
      },
    });
    await publisher.start(10_000);
  });

  afterAll(async () => {
    await publisher.close();
    await server.close();
  });

  it.each(['whip', 'whep'] as const)(
    'answers 600 (GLASSBENCH_FUZZ_RUNS) mutated %s offers with hostile headers with 201 or a 4xx, never a 5xx, and keeps serving',
    async (endpoint) => {
      const lines = (await realOffer(endpoint === 'whip' ? 'sendonly' : 'recvonly')).split('\r\n');
      const room = endpoint === 'whip' ? 'fuzz' : 'fuzz-whep';
      const statuses = new Map<number, number>();
      let posted = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(EDIT, { minLength: 1, maxLength: 5 }),
          HEADERS,
          STREAM,
          async (edits, headers, stream) => {
            const url = new URL(`${base}/${endpoint}/${room}`);
            if (endpoint === 'whep' && stream !== undefined)
              url.searchParams.set('stream', stream === 'publisher' ? (publisher.streamId ?? '') : stream);
            const response = await post(url.href, edited(lines, edits), headers);
            posted += 1;
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            expect([201, 400, 404, 413, 415]).toContain(response.status);
            // a session the server already closed (its connection could not work) is gone: 404
            if (response.status === 201)
              expect([200, 404]).toContain(
                (await fetch(new URL(response.headers.get('location') ?? '', base), { method: 'DELETE' })).status,
              );
            else expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/^[a-z_]+$/);
          },
        ),
        { seed: endpoint === 'whip' ? 1128 : 1129, numRuns: fuzzRuns(600) },
      );
      reportFuzz(
        `${endpoint.toUpperCase()} offers and headers (workers ${workers})`,
        Object.fromEntries([['posted', posted], ...[...statuses].map(([status, n]) => [`answered ${status}`, n])]),
      );
      // healthy, and only the publisher's session is left
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', sessions: 1 });
      expect(endpoint === 'whip' || (statuses.get(201) ?? 0) > 0, JSON.stringify([...statuses])).toBe(true);
    },
    60_000 + fuzzRuns(600) * 60,
  ); // about 20 ms an offer; the nightly 10,000 take minutes
});
