import { ShapeError } from '../errors.js';
import { maxUnpool1d, maxUnpool2d, maxUnpool3d } from '../ops/unpool.js';
import type { Size1d, Size2d, Size3d } from '../ops/unfold.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions } from './checks.js';
import { compact, spatialSizes, type SpatialSizes } from './conv-layer.js';
import { Module, type ModuleConfig } from './module.js';

export interface MaxUnpoolOptions<S> {
  /** Default: the kernel size. */
  stride?: S;
  padding?: S;
}

/**
 * torch.nn.MaxUnpool1d/2d/3d: forward(input, indices) puts each value at the index that
 * MaxPool's forwardWithIndices gave (zeros elsewhere); `unpool(input, indices, outputSize)` picks
 * the output size, as PyTorch's forward(input, indices, output_size).
 */
abstract class MaxUnpoolLayer<S extends SpatialSizes> extends Module {
  readonly kernelSize: S;
  readonly stride: S;
  readonly padding: S;

  protected constructor(
    spatialRank: S['length'],
    kernelSize: Size1d | Size2d | Size3d,
    options: MaxUnpoolOptions<Size1d | Size2d | Size3d>,
  ) {
    super();
    checkOptions(this.typeName, options, ['stride', 'padding']);
    const sizes = (option: string, value: Size1d | Size2d | Size3d, min: number) =>
      spatialSizes<S>(spatialRank, `${this.typeName}: ${option}`, value, min);
    this.kernelSize = sizes('kernelSize', kernelSize, 1);
    this.stride = sizes('stride', options.stride ?? this.kernelSize, 1);
    this.padding = sizes('padding', options.padding ?? 0, 0);
  }

  /** The functional form. */
  protected abstract run(input: Tensor, indices: Tensor, outputSize: readonly number[] | undefined): Tensor;

  forward(input: Tensor, indices?: Tensor): Tensor {
    if (indices === undefined)
      throw new ShapeError(`${this.typeName} takes two inputs, forward(input, indices); got only the input`);
    return this.run(input, indices, undefined);
  }

  /** forward with the output's size (spatial, or the whole shape), to undo a pooling that dropped a remainder. */
  unpool(input: Tensor, indices: Tensor, outputSize?: readonly number[]): Tensor {
    return this.run(input, indices, outputSize);
  }

  override config(): ModuleConfig {
    return {
      type: this.typeName,
      kernelSize: compact(this.kernelSize),
      stride: compact(this.stride),
      padding: compact(this.padding),
    };
  }

  protected override extraRepr(): string {
    return `kernelSize=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}, padding=${this.padding.join('x')}`;
  }
}

/** Undoes MaxPool1d over [N, C, L] or [C, L], like torch.nn.MaxUnpool1d. */
export class MaxUnpool1d extends MaxUnpoolLayer<[number]> {
  constructor(kernelSize: Size1d, options: MaxUnpoolOptions<Size1d> = {}) {
    super(1, kernelSize, options);
  }

  override get typeName(): string {
    return 'MaxUnpool1d';
  }

  protected run(input: Tensor, indices: Tensor, outputSize: readonly number[] | undefined): Tensor {
    return maxUnpool1d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}

/** Undoes MaxPool2d over [N, C, H, W] or [C, H, W], like torch.nn.MaxUnpool2d. */
export class MaxUnpool2d extends MaxUnpoolLayer<[number, number]> {
  constructor(kernelSize: Size2d, options: MaxUnpoolOptions<Size2d> = {}) {
    super(2, kernelSize, options);
  }

  override get typeName(): string {
    return 'MaxUnpool2d';
  }

  protected run(input: Tensor, indices: Tensor, outputSize: readonly number[] | undefined): Tensor {
    return maxUnpool2d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}

/** Undoes MaxPool3d over [N, C, D, H, W] or [C, D, H, W], like torch.nn.MaxUnpool3d. */
export class MaxUnpool3d extends MaxUnpoolLayer<[number, number, number]> {
  constructor(kernelSize: Size3d, options: MaxUnpoolOptions<Size3d> = {}) {
    super(3, kernelSize, options);
  }

  override get typeName(): string {
    return 'MaxUnpool3d';
  }

  protected run(input: Tensor, indices: Tensor, outputSize: readonly number[] | undefined): Tensor {
    return maxUnpool3d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
