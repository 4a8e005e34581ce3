/**
 * WHIP/WHEP client side (RFC 9725): POST the offer, read the answer and the session's Location, DELETE to leave.
 * Over http or https (src/network/http-client.ts, which can trust a private CA), with the target's Bearer token.
 */
import { GlassbenchError } from '../errors.js';
import { nowMs } from '../metrics/clock.js';
import { describeRequestError, httpRequest, type HttpResponse } from '../network/http-client.js';

export interface SignalingSession {
  answerSdp: string;
  /** absolute URL of the session resource */
  resourceUrl: string;
  /** last path segment of the resource: the server's session id */
  sessionId: string;
  /** the offer's POST was sent (a subscription's request time: time_to_first_frame_ms) */
  requestMs: number;
}

/** How to reach the target: its Bearer token and the CA to trust for https. */
export interface SignalingAuth {
  token?: string;
  caFile?: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

function headers(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

export async function postOffer(
  endpointUrl: string,
  offerSdp: string,
  auth: SignalingAuth = {},
): Promise<SignalingSession> {
  let response: HttpResponse;
  const requestMs = nowMs();
  try {
    response = await httpRequest(endpointUrl, {
      method: 'POST',
      headers: headers(auth.token, { 'content-type': 'application/sdp' }),
      body: offerSdp,
      timeoutMs: REQUEST_TIMEOUT_MS,
      ...(auth.caFile ? { caFile: auth.caFile } : {}),
    });
  } catch (error) {
    throw new GlassbenchError('RUN_FAILED', `POST ${endpointUrl} failed: ${describeRequestError(error, auth.caFile)}`, {
      cause: error,
    });
  }
  const body = response.body;
  if (response.status !== 201) {
    throw new GlassbenchError('RUN_FAILED', `POST ${endpointUrl} answered ${response.status}: ${body.slice(0, 300)}`);
  }
  const location = response.headers.location;
  if (!location) throw new GlassbenchError('RUN_FAILED', `POST ${endpointUrl} answered 201 without a Location header`);
  const resourceUrl = new URL(location, endpointUrl).toString();
  const sessionId = new URL(resourceUrl).pathname.split('/').filter(Boolean).pop() ?? resourceUrl;
  return { answerSdp: body, resourceUrl, sessionId, requestMs };
}

/** Ends a session; best effort (the server may already be gone), so it reports instead of throwing. */
export async function deleteSession(resourceUrl: string, auth: SignalingAuth = {}): Promise<number | Error> {
  try {
    const response = await httpRequest(resourceUrl, {
      method: 'DELETE',
      headers: headers(auth.token),
      timeoutMs: REQUEST_TIMEOUT_MS,
      ...(auth.caFile ? { caFile: auth.caFile } : {}),
    });
    return response.status;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The signaling auth of a peer's start command: its token, and the run's CA when there is one. */
export function authOf(spec: { token?: string; network?: { caFile?: string } }): SignalingAuth {
  return {
    ...(spec.token ? { token: spec.token } : {}),
    ...(spec.network?.caFile ? { caFile: spec.network.caFile } : {}),
  };
}
