import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, withDefaults, type OptimizerOptions, type ParamGroup, type ParamGroupInput } from './optimizer.js';
import { rejectUnknownKeys } from './validate.js';

/** Checks one option's value, throwing an ArgumentError that names `where`, the option and the value. */
export type OptionRule = (where: string, name: string, value: unknown) => unknown;

/**
 * What makes one optimizer besides its update: the name errors use, its options with their
 * defaults (the options it accepts, in the order errors list them) and a rule per option (lr's
 * is the base class's).
 */
export interface OptimizerSpec<Options extends OptimizerOptions> {
  label: string;
  defaults: Options;
  rules: { [Name in Exclude<keyof Options, 'lr'>]: OptionRule };
}

/**
 * An optimizer described by a static `spec`: the constructor rejects unknown options and fills
 * in the defaults, and each group's options are checked by the spec's rules. Subclasses add
 * `stateKinds` and `update`.
 */
export abstract class SpecOptimizer<Options extends OptimizerOptions> extends Optimizer<Options> {
  constructor(params: Tensor[] | ParamGroupInput<Options>[], options: Partial<Options> = {}) {
    const { spec } = new.target as unknown as { spec: OptimizerSpec<Options> };
    rejectUnknownKeys(spec.label, options ?? {}, optionNames(spec));
    super(params, withDefaults(spec.defaults, options ?? {}));
  }

  private get spec(): OptimizerSpec<Options> {
    return (this.constructor as unknown as { spec: OptimizerSpec<Options> }).spec;
  }

  protected override get label(): string {
    return this.spec.label;
  }

  protected override checkOptions(group: ParamGroup & Options, where: string): void {
    super.checkOptions(group, where);
    for (const [name, rule] of Object.entries(this.spec.rules) as [string, OptionRule][])
      rule(where, name, (group as Record<string, unknown>)[name]);
  }
}

/** The options an optimizer of `spec` accepts. */
export function optionNames(spec: OptimizerSpec<OptimizerOptions>): readonly string[] {
  return Object.keys(spec.defaults);
}
