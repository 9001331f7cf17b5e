import { ShapeError, formatShape } from '../errors.js';
import { reshape } from '../ops/movement.js';
import { channelShuffle } from '../ops/pixel-shuffle.js';
import { fold, pair, unfold, type Size2d, type UnfoldArgs } from '../ops/unfold.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, checkPositiveInteger } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** A window argument as given when it is one number for both axes, else the pair. */
const asGiven = (what: string, value: Size2d, min: number): Size2d => {
  const [a, b] = pair(what, value, min);
  return typeof value === 'number' ? a : [a, b];
};

/** The window arguments of Fold and Unfold, checked (dilation, padding, stride: PyTorch's defaults 1, 0, 1). */
function windowArgs(layer: string, options: UnfoldArgs): Required<UnfoldArgs> {
  checkOptions(layer, options, ['dilation', 'padding', 'stride']);
  return {
    dilation: asGiven(`${layer}: dilation`, options.dilation ?? 1, 1),
    padding: asGiven(`${layer}: padding`, options.padding ?? 0, 0),
    stride: asGiven(`${layer}: stride`, options.stride ?? 1, 1),
  };
}

const windowConfig = (args: Required<UnfoldArgs>): { dilation: Size2d; padding: Size2d; stride: Size2d } => ({
  dilation: args.dilation,
  padding: args.padding,
  stride: args.stride,
});

/**
 * Sliding windows of [N, C, H, W] (or unbatched [C, H, W]) as columns [N, C * kh * kw, L]
 * ([C * kh * kw, L]), like torch.nn.Unfold (im2col); options dilation, padding, stride.
 */
export class Unfold extends Module {
  readonly kernelSize: Size2d;
  readonly args: Readonly<Required<UnfoldArgs>>;

  constructor(kernelSize: Size2d, options: UnfoldArgs = {}) {
    super();
    this.kernelSize = asGiven('Unfold: kernelSize', kernelSize, 1);
    this.args = Object.freeze(windowArgs('Unfold', options));
  }

  override get typeName(): string {
    return 'Unfold';
  }

  forward(input: Tensor): Tensor {
    if (input.rank !== 3 && input.rank !== 4)
      throw new ShapeError(`Unfold got input of shape ${formatShape(input.shape)}: expected [N, C, H, W] or [C, H, W]`);
    if (input.rank === 4) return unfold(input, this.kernelSize, this.args);
    return composite(() => {
      const cols = unfold(reshape(input, [1, ...input.shape]), this.kernelSize, this.args);
      return reshape(cols, cols.shape.slice(1));
    });
  }

  override config(): ModuleConfig {
    return { type: 'Unfold', kernelSize: this.kernelSize, ...windowConfig(this.args) };
  }

  protected override extraRepr(): string {
    const a = this.args;
    return `kernelSize=${JSON.stringify(this.kernelSize)}, dilation=${JSON.stringify(a.dilation)}, padding=${JSON.stringify(a.padding)}, stride=${JSON.stringify(a.stride)}`;
  }
}

/**
 * The adjoint of Unfold, like torch.nn.Fold (col2im): columns [N, C * kh * kw, L] (or unbatched
 * [C * kh * kw, L]) summed back into [N, C, outputSize] ([C, outputSize]); overlaps add up.
 */
export class Fold extends Module {
  readonly outputSize: Size2d;
  readonly kernelSize: Size2d;
  readonly args: Readonly<Required<UnfoldArgs>>;

  constructor(outputSize: Size2d, kernelSize: Size2d, options: UnfoldArgs = {}) {
    super();
    this.outputSize = asGiven('Fold: outputSize', outputSize, 1);
    this.kernelSize = asGiven('Fold: kernelSize', kernelSize, 1);
    this.args = Object.freeze(windowArgs('Fold', options));
  }

  override get typeName(): string {
    return 'Fold';
  }

  forward(input: Tensor): Tensor {
    if (input.rank !== 2 && input.rank !== 3)
      throw new ShapeError(
        `Fold got input of shape ${formatShape(input.shape)}: expected [N, C * kh * kw, L] or [C * kh * kw, L]`,
      );
    if (input.rank === 3) return fold(input, this.outputSize, this.kernelSize, this.args);
    return composite(() => {
      const image = fold(reshape(input, [1, ...input.shape]), this.outputSize, this.kernelSize, this.args);
      return reshape(image, image.shape.slice(1));
    });
  }

  override config(): ModuleConfig {
    return {
      type: 'Fold',
      outputSize: this.outputSize,
      kernelSize: this.kernelSize,
      ...windowConfig(this.args),
    };
  }

  protected override extraRepr(): string {
    const a = this.args;
    return `outputSize=${JSON.stringify(this.outputSize)}, kernelSize=${JSON.stringify(this.kernelSize)}, dilation=${JSON.stringify(a.dilation)}, padding=${JSON.stringify(a.padding)}, stride=${JSON.stringify(a.stride)}`;
  }
}

/** Shuffles the channels of [N, C, *] across `groups` groups (torch.nn.ChannelShuffle). */
export class ChannelShuffle extends Module {
  readonly groups: number;

  constructor(groups: number) {
    super();
    this.groups = checkPositiveInteger('ChannelShuffle: groups', groups);
  }

  override get typeName(): string {
    return 'ChannelShuffle';
  }

  forward(input: Tensor): Tensor {
    return channelShuffle(input, this.groups);
  }

  override config(): ModuleConfig {
    return { type: 'ChannelShuffle', groups: this.groups };
  }

  protected override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}
