/**
 * The harness's HTTP client for requests to the target (WHIP/WHEP signaling, a remote SFU's endpoints), on
 * node:http / node:https because Node's fetch cannot be given a CA to trust: `caFile` adds a private CA's PEM to
 * Node's built-in roots for https URLs. A TLS failure says which option fixes it.
 */
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequestRaw } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface HttpRequestOptions {
  /** default GET */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** the whole exchange (connect, send, read the body), ms; absent: no limit (a stream, ended by `signal`) */
  timeoutMs?: number;
  /** ends the request early (a stream the caller closes) */
  signal?: AbortSignal;
  /** PEM file of a CA to trust besides Node's built-in roots (https only) */
  caFile?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The CA bundles read so far, by file: every peer of a runner signals with the same one. */
const caBundles = new Map<string, string[]>();

/** Node's roots plus the file's certificates (a `ca` option replaces the roots, so they are added back). */
export function caBundle(caFile: string): string[] {
  let bundle = caBundles.get(caFile);
  if (!bundle) {
    bundle = [...rootCertificates, readFileSync(caFile, 'utf8')];
    caBundles.set(caFile, bundle);
  }
  return bundle;
}

/** TLS errors whose fix is to trust the CA that signed the server's certificate. */
const UNTRUSTED_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** A readable reason for a failed request: names --ca / target.ca when the server's certificate is not trusted. */
export function describeRequestError(error: unknown, caFile: string | undefined): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) {
    return caFile
      ? `the server's TLS certificate is not signed by the CA in ${caFile} (${code}: ${message})`
      : `the server's TLS certificate is not trusted (${code}: ${message}); give the CA that signed it with --ca FILE or target.ca`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's TLS certificate does not name this host (${message}): use the host name it was issued for`;
  return message;
}

function requestSignal(options: HttpRequestOptions): { signal?: AbortSignal } {
  const signals = [
    ...(options.timeoutMs === undefined ? [] : [AbortSignal.timeout(options.timeoutMs)]),
    ...(options.signal ? [options.signal] : []),
  ];
  if (signals.length === 0) return {};
  return { signal: signals.length === 1 ? (signals[0] as AbortSignal) : AbortSignal.any(signals) };
}

/** Opens a request and resolves with the response once its headers are in (the caller reads the body). */
export function openRequest(url: string, options: HttpRequestOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:') return Promise.reject(new Error(`not an http(s) URL: ${url}`));
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const requestOptions = {
      method: options.method ?? 'GET',
      headers,
      ...requestSignal(options),
      ...(https && options.caFile ? { ca: caBundle(options.caFile) } : {}),
    };
    const req = (https ? httpsRequestRaw : httpRequestRaw)(target, requestOptions, resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}

/** One whole exchange: the response with its body as text. */
export async function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  const response = await openRequest(url, options);
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') };
}
