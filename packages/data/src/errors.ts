import { MyelinError } from '@myelin/core';

/**
 * Bad data or a bad data-pipeline argument: a truncated IDX file, a CSV row with the wrong
 * number of columns, split fractions that don't add up. The message names the file (when
 * there is one), what was expected and what was found; the same facts are fields, so code can
 * react without parsing the message.
 */
export class DataError extends MyelinError {
  override name = 'DataError';
  /** The file or source the bad data came from, when there is one. */
  readonly source: string | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(what: { source?: string; expected: string; found: string; detail?: string }) {
    const where = what.source === undefined ? '' : `${what.source}: `;
    const detail = what.detail === undefined ? '' : ` (${what.detail})`;
    super(`${where}expected ${what.expected}, found ${what.found}${detail}`);
    this.source = what.source;
    this.expected = what.expected;
    this.found = what.found;
  }
}
