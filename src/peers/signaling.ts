/** WHIP/WHEP client side (RFC 9725): POST the offer, read the answer and the session's Location, DELETE to leave. */
import { GlassbenchError } from '../errors.js';

export interface SignalingSession {
  answerSdp: string;
  /** absolute URL of the session resource */
  resourceUrl: string;
  /** last path segment of the resource: the server's session id */
  sessionId: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

function headers(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

export async function postOffer(endpointUrl: string, offerSdp: string, token?: string): Promise<SignalingSession> {
  let response: Response;
  try {
    response = await fetch(endpointUrl, {
      method: 'POST',
      headers: headers(token, { 'content-type': 'application/sdp' }),
      body: offerSdp,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new GlassbenchError('RUN_FAILED', `POST ${endpointUrl} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const body = await response.text();
  if (response.status !== 201) {
    throw new GlassbenchError('RUN_FAILED', `POST ${endpointUrl} answered ${response.status}: ${body.slice(0, 300)}`);
  }
  const location = response.headers.get('location');
  if (!location) throw new GlassbenchError('RUN_FAILED', `POST ${endpointUrl} answered 201 without a Location header`);
  const resourceUrl = new URL(location, endpointUrl).toString();
  const sessionId = new URL(resourceUrl).pathname.split('/').filter(Boolean).pop() ?? resourceUrl;
  return { answerSdp: body, resourceUrl, sessionId };
}

/** Ends a session; best effort (the server may already be gone), so it reports instead of throwing. */
export async function deleteSession(resourceUrl: string, token?: string): Promise<number | Error> {
  try {
    const response = await fetch(resourceUrl, {
      method: 'DELETE',
      headers: headers(token),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return error as Error;
  }
}
