import { ArgumentError } from '../errors.js';

/** Shared option checks: each error names the optimizer (and group), the option, the value and the rule. */

function show(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}

export function requireNonNegative(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new ArgumentError(`${where}: invalid ${name} ${show(value)} (must be a finite number >= 0)`);
  }
  return value;
}

/** A momentum-like coefficient in [0, 1), like PyTorch's betas. */
export function requireUnitInterval(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ArgumentError(`${where}: invalid ${name} ${show(value)} (must be in [0, 1))`);
  }
  return value;
}

/** A decay rate in [0, 1], like Adadelta's rho (1 keeps the average where it is). */
export function requireFraction(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new ArgumentError(`${where}: invalid ${name} ${show(value)} (must be in [0, 1])`);
  }
  return value;
}

export function requireBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ArgumentError(`${where}: invalid ${name} ${show(value)} (must be true or false)`);
  return value;
}

export function requireBetas(where: string, value: unknown): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ArgumentError(`${where}: invalid betas ${show(value)} (must be a pair [beta1, beta2], each in [0, 1))`);
  }
  return [
    requireUnitInterval(where, 'beta1 (betas[0])', value[0]),
    requireUnitInterval(where, 'beta2 (betas[1])', value[1]),
  ];
}

/** requireBetas in the shape of the other checks (an option rule of a SpecOptimizer). */
export function requireBetasOption(where: string, _name: string, value: unknown): readonly [number, number] {
  return requireBetas(where, value);
}

/**
 * Rejects keys a config or options object does not know, listing the ones it does; PyTorch's
 * snake_case names (weight_decay) are named with their camelCase spelling here (weightDecay).
 */
export function rejectUnknownKeys(where: string, given: object, allowed: readonly string[]): void {
  const unknown = Object.keys(given).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const renamed = unknown
      .map((key) => [key, key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())] as const)
      .filter(([key, camel]) => camel !== key && allowed.includes(camel))
      .map(([key, camel]) => `; '${key}' is '${camel}' here`)
      .join('');
    throw new ArgumentError(
      `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (allowed: ${allowed.join(', ')}${renamed})`,
    );
  }
}
