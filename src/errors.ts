/**
 * The few error classes of glassbench. Each carries a stable `code` that the CLI maps to an exit code
 * (src/exit-codes.ts), an optional `cause`, and serialises to JSON for reports and IPC.
 */
export type ErrorCode =
  /** invalid scenario, flags or input: exit 104 */
  | 'INVALID_INPUT'
  /** the run could not be carried out (SFU did not start, no peer connected): exit 107 */
  | 'RUN_FAILED'
  /** the run was stopped by the user: exit 105 */
  | 'ABORTED';

export class GlassbenchError extends Error {
  readonly code: ErrorCode;
  /** Located problems (scenario validation lists all of them). */
  readonly problems: string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; problems?: string[] } = {}) {
    super(message, { cause: options.cause });
    this.name = 'GlassbenchError';
    this.code = code;
    this.problems = options.problems ?? [];
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      problems: this.problems,
      cause: this.cause instanceof Error ? { name: this.cause.name, message: this.cause.message } : this.cause,
    };
  }
}

/** A short, readable description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** summary.error of a run an abort ended: the signal's name where the CLI's signal handler aborted it. */
export function abortedError(signal: AbortSignal | undefined): { code: 'ABORTED'; message: string; signal?: string } {
  const reason: unknown = signal?.reason;
  return reason instanceof InterruptedError
    ? { code: 'ABORTED', message: reason.message, signal: reason.signal }
    : { code: 'ABORTED', message: 'interrupted' };
}

/** What ends a run that a signal interrupted (the CLI's SIGINT or SIGTERM): it drains, exit 105. */
export class InterruptedError extends GlassbenchError {
  constructor(readonly signal: NodeJS.Signals) {
    super('ABORTED', `interrupted by ${signal}${signal === 'SIGINT' ? ' (Ctrl-C)' : ''}`);
    this.name = 'InterruptedError';
  }
}
