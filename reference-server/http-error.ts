/** An HTTP answer other than success, with its JSON error code and extra headers (Retry-After, Allow). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
