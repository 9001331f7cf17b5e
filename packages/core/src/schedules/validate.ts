import { ArgumentError } from '../errors.js';
import { rejectUnknownKeys } from '../optim/validate.js';

/** Option checks shared by the schedules; each error names the schedule, the option, the value and the rule. */

export function requirePositiveInteger(where: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new ArgumentError(`${where}: invalid ${name} ${String(value)} (must be an integer >= 1)`);
  return value as number;
}

/** A multiplicative factor in (0, 1]: PyTorch divides by it, so 0 would end in a division by zero. */
export function requireFactor(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1))
    throw new ArgumentError(`${where}: invalid ${name} ${String(value)} (must be in (0, 1])`);
  return value;
}

export function requireOptions(where: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError(`${where}: expected an options object { ${allowed.join(', ')} }, got ${String(options)}`);
  rejectUnknownKeys(where, options, allowed);
  return options as Record<string, unknown>;
}

/** One value per parameter group: a number for all, or a list with one per group, each checked by `check`. */
export function perGroup(
  where: string,
  name: string,
  value: unknown,
  groups: number,
  check: (where: string, name: string, value: unknown) => number,
): number[] {
  if (!Array.isArray(value)) return new Array<number>(groups).fill(check(where, name, value));
  if (value.length !== groups)
    throw new ArgumentError(
      `${where}: ${name} has ${value.length} entries, but the optimizer has ${groups} parameter groups`,
    );
  return value.map((v, i) => check(where, `${name}[${i}]`, v));
}
