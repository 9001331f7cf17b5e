import { MyelinError } from '../errors.js';

/**
 * A checkpoint or safetensors file that cannot be written or read: truncated, corrupt, from
 * another save, or holding values the format cannot carry. The message names the file (when
 * there is one), what was wrong, the value seen and what was expected.
 */
export class CheckpointError extends MyelinError {
  override name = 'CheckpointError';
  /** The file (or blob label) the problem was found in, when known. */
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
  }
}
