import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { describe, expect, it } from 'vitest';

import { describeRequestError, httpRequest } from '../../../src/network/http-client.js';

const tlsError = (code: string): Error =>
  Object.assign(new Error('self-signed certificate in certificate chain'), { code });

describe('http client', () => {
  it('says how to trust the server when its certificate is not trusted', () => {
    expect(describeRequestError(tlsError('SELF_SIGNED_CERT_IN_CHAIN'), undefined)).toBe(
      "the server's TLS certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain); give the CA that signed it with --ca FILE or target.ca",
    );
    expect(describeRequestError(tlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), '/etc/ca.pem')).toMatch(
      /^the server's TLS certificate is not signed by the CA in \/etc\/ca\.pem \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    expect(describeRequestError(tlsError('ERR_TLS_CERT_ALTNAME_INVALID'), undefined)).toMatch(
      /does not name this host/,
    );
    expect(describeRequestError(new Error('connect ECONNREFUSED 127.0.0.1:1'), undefined)).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('sends the body with its length and reads status, headers and body', async () => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(201, { location: '/r/1' });
        res.end(`${req.method} ${req.headers['content-length']} ${req.headers['authorization']} ${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await httpRequest(`http://127.0.0.1:${port}/whip/r1`, {
        method: 'POST',
        headers: { authorization: 'Bearer t' },
        body: 'v=0é',
        timeoutMs: 5000,
      });
      expect(response.status).toBe(201);
      expect(response.headers.location).toBe('/r/1');
      expect(response.body).toBe('POST 5 Bearer t v=0é');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
