import { MyelinError, describeValue } from '@myelin/core';

/** Core's rendering of a value in a message, shared with every usage error. */
export { describeValue };

/** Exit codes: 0 done, 1 a failure while running, 2 a bad command line or config, 130/143 stopped by a signal. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

/**
 * A bad flag or config value: exit code 2 and one message naming the option, the value given
 * and what is allowed.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on (a missing dataset or backend): exit code 1 and its message, no stack. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The exit code and the text to print for an error: known errors print their message only,
 * anything else its message too, with the stack only under --verbose.
 */
export function reportError(error: unknown, verbose: boolean): { exitCode: number; text: string } {
  const exitCode = error instanceof UsageError ? EXIT.usage : error instanceof CliError ? error.exitCode : EXIT.failure;
  // One line: a parser's snippet of the bad input (JSON.parse quotes lines of it) must not break it.
  const message = (error instanceof Error ? error.message : String(error)).trim().replace(/\s*\n\s*/g, ' ');
  const label =
    error instanceof UsageError || error instanceof CliError || error instanceof MyelinError
      ? ''
      : `${error instanceof Error ? error.name : 'error'}: `;
  let text = `myelin: ${label}${message}`;
  if (verbose && error instanceof Error) {
    text += `\n${error.stack ?? ''}`;
    for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
      text += `\ncaused by: ${cause.stack ?? cause.message}`;
  } else if (exitCode === EXIT.failure && !(error instanceof CliError)) {
    text += '\n(run with --verbose for the stack trace)';
  }
  return { exitCode, text };
}
