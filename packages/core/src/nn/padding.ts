import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { pad } from '../ops/movement.js';
import type { PadMode } from '../ops/padding.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNumber, describeValue } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/**
 * A padding size as PyTorch's padding modules take it: one integer for every side, or 2 * d
 * integers in F.pad's order, last axis first: [left, right] (1-D), [left, right, top, bottom]
 * (2-D), [left, right, top, bottom, front, back] (3-D).
 */
export type PaddingSize = number | readonly number[];

/**
 * The padding modules over `pad` (torch.nn.ZeroPad1d/2d/3d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
 * ReplicationPad1d/2d/3d): `d` padded trailing axes of batched [N, C, ...] or unbatched [C, ...]
 * input. Not exported: each layer is its own class, so `instanceof` and the registry work.
 */
abstract class PadLayer extends Module {
  /** 2 * d sizes, last axis first: [left, right, top, bottom, front, back]. */
  readonly padding: readonly number[];
  readonly #dims: 1 | 2 | 3;
  readonly #mode: PadMode;
  readonly #value: number;

  protected constructor(dims: 1 | 2 | 3, mode: PadMode, padding: PaddingSize, value = 0) {
    super();
    this.#dims = dims;
    this.#mode = mode;
    const sizes = typeof padding === 'number' ? new Array<number>(2 * dims).fill(padding) : padding;
    // Constant padding crops where a size is negative (PyTorch's F.pad); the copying modes cannot.
    const crops = mode === 'constant';
    if (
      !Array.isArray(sizes) ||
      sizes.length !== 2 * dims ||
      sizes.some((p: unknown) => typeof p !== 'number' || !Number.isInteger(p) || (!crops && p < 0))
    )
      throw new ArgumentError(
        `${this.typeName}: padding must be ${crops ? 'an integer' : 'a non-negative integer'} or ${2 * dims} of them (last axis first${crops ? '; negative sizes crop' : ''}), got ${describeValue(padding)}`,
      );
    this.padding = Object.freeze([...(sizes as number[])]);
    this.#value = checkNumber(`${this.typeName}: value`, value);
  }

  forward(input: Tensor): Tensor {
    const d = this.#dims;
    if (input.rank !== d + 1 && input.rank !== d + 2)
      throw new ShapeError(
        `${this.typeName} got input of shape ${formatShape(input.shape)}: expected rank ${d + 2} ([N, C, ${d}-D]) or ${d + 1} (unbatched)`,
      );
    const paddings = input.shape.map((_, axis): [number, number] => {
      const fromEnd = input.rank - 1 - axis;
      return fromEnd < d ? [this.padding[2 * fromEnd]!, this.padding[2 * fromEnd + 1]!] : [0, 0];
    });
    return this.#mode === 'constant' ? pad(input, paddings, this.#value) : pad(input, paddings, { mode: this.#mode });
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = { type: this.typeName, padding: [...this.padding] };
    if (this.typeName.startsWith('ConstantPad')) config['value'] = this.#value;
    return config;
  }

  protected override extraRepr(): string {
    return `[${this.padding.join(', ')}]${this.typeName.startsWith('ConstantPad') ? `, value=${this.#value}` : ''}`;
  }
}

/** Zeros around [N, C, L] or [C, L] (torch.nn.ZeroPad1d): padding [left, right] or one size. */
export class ZeroPad1d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(1, 'constant', padding);
  }
  override get typeName(): string {
    return 'ZeroPad1d';
  }
}
/** Zeros around [N, C, H, W] or [C, H, W] (torch.nn.ZeroPad2d): padding [left, right, top, bottom] or one size. */
export class ZeroPad2d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(2, 'constant', padding);
  }
  override get typeName(): string {
    return 'ZeroPad2d';
  }
}
/** Zeros around [N, C, D, H, W] or [C, D, H, W] (torch.nn.ZeroPad3d): padding [left, right, top, bottom, front, back] or one size. */
export class ZeroPad3d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(3, 'constant', padding);
  }
  override get typeName(): string {
    return 'ZeroPad3d';
  }
}

/** `value` around [N, C, L] or [C, L] (torch.nn.ConstantPad1d): padding [left, right] or one size. */
export class ConstantPad1d extends PadLayer {
  constructor(padding: PaddingSize, value: number) {
    super(1, 'constant', padding, value);
  }
  override get typeName(): string {
    return 'ConstantPad1d';
  }
}
/** `value` around [N, C, H, W] or [C, H, W] (torch.nn.ConstantPad2d): padding [left, right, top, bottom] or one size. */
export class ConstantPad2d extends PadLayer {
  constructor(padding: PaddingSize, value: number) {
    super(2, 'constant', padding, value);
  }
  override get typeName(): string {
    return 'ConstantPad2d';
  }
}
/** `value` around [N, C, D, H, W] or [C, D, H, W] (torch.nn.ConstantPad3d). */
export class ConstantPad3d extends PadLayer {
  constructor(padding: PaddingSize, value: number) {
    super(3, 'constant', padding, value);
  }
  override get typeName(): string {
    return 'ConstantPad3d';
  }
}

/** Mirrors the input about its edges (d c b | a b c d | c b a) on [N, C, L] or [C, L] (torch.nn.ReflectionPad1d); each size below the axis' length. */
export class ReflectionPad1d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(1, 'reflect', padding);
  }
  override get typeName(): string {
    return 'ReflectionPad1d';
  }
}
/** Reflection padding of [N, C, H, W] or [C, H, W] (torch.nn.ReflectionPad2d). */
export class ReflectionPad2d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(2, 'reflect', padding);
  }
  override get typeName(): string {
    return 'ReflectionPad2d';
  }
}
/** Reflection padding of [N, C, D, H, W] or [C, D, H, W] (torch.nn.ReflectionPad3d). */
export class ReflectionPad3d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(3, 'reflect', padding);
  }
  override get typeName(): string {
    return 'ReflectionPad3d';
  }
}

/** Repeats the edge values (a a | a b c d | d d) on [N, C, L] or [C, L] (torch.nn.ReplicationPad1d). */
export class ReplicationPad1d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(1, 'replicate', padding);
  }
  override get typeName(): string {
    return 'ReplicationPad1d';
  }
}
/** Replication padding of [N, C, H, W] or [C, H, W] (torch.nn.ReplicationPad2d). */
export class ReplicationPad2d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(2, 'replicate', padding);
  }
  override get typeName(): string {
    return 'ReplicationPad2d';
  }
}
/** Replication padding of [N, C, D, H, W] or [C, D, H, W] (torch.nn.ReplicationPad3d). */
export class ReplicationPad3d extends PadLayer {
  constructor(padding: PaddingSize) {
    super(3, 'replicate', padding);
  }
  override get typeName(): string {
    return 'ReplicationPad3d';
  }
}
