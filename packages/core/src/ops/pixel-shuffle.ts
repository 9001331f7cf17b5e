import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { permute, reshape, transpose } from './movement.js';

function checkFactor(op: string, name: string, factor: number): void {
  if (!Number.isInteger(factor) || factor < 1)
    throw new ArgumentError(`${op}: ${name} must be a positive integer, got ${String(factor)}`);
}

/**
 * Rearranges [*, C*r*r, H, W] into [*, C, H*r, W*r] (PyTorch's `F.pixel_shuffle`, the
 * sub-pixel convolution's upsampling): output[c, h*r + i, w*r + j] = input[c*r*r + i*r + j, h, w].
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  checkFactor('pixelShuffle', 'upscaleFactor', upscaleFactor);
  const r = upscaleFactor;
  if (x.rank < 3 || x.shape[x.rank - 3]! % (r * r) !== 0)
    throw new ShapeError(
      `pixelShuffle: expected an input [*, C*${r * r}, H, W] (channels divisible by upscaleFactor² = ${r * r}), got shape ${formatShape(x.shape)}`,
    );
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  const channels = c / (r * r);
  const batch = lead.reduce((a, b) => a * b, 1);
  return composite(() => {
    const split = reshape(x, [batch * channels, r, r, h, w]); // [B*C, i, j, h, w]; rank 5 whatever the leading axes
    return reshape(permute(split, [0, 3, 1, 4, 2]), [...lead, channels, h * r, w * r]);
  });
}

/** The inverse of pixelShuffle (PyTorch's `F.pixel_unshuffle`): [*, C, H*r, W*r] into [*, C*r*r, H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  checkFactor('pixelUnshuffle', 'downscaleFactor', downscaleFactor);
  const r = downscaleFactor;
  if (x.rank < 3 || x.shape[x.rank - 2]! % r !== 0 || x.shape[x.rank - 1]! % r !== 0)
    throw new ShapeError(
      `pixelUnshuffle: expected an input [*, C, H, W] with H and W divisible by downscaleFactor ${r}, got shape ${formatShape(x.shape)}`,
    );
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  const batch = lead.reduce((a, b) => a * b, 1);
  return composite(() => {
    const split = reshape(x, [batch * c, h / r, r, w / r, r]); // [B*C, h, i, w, j]
    return reshape(permute(split, [0, 2, 4, 1, 3]), [...lead, c * r * r, h / r, w / r]);
  });
}

/**
 * torch.nn.ChannelShuffle: the C channels of [N, C, *] as [groups, C / groups], transposed, so
 * channel g * (C / groups) + i moves to i * groups + g (ShuffleNet's shuffle).
 */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`channelShuffle: groups must be a positive integer, got ${String(groups)}`);
  if (x.rank < 3 || x.shape[1]! % groups !== 0)
    throw new ShapeError(
      `channelShuffle: expected [N, C, *] input (rank >= 3) with C divisible by groups ${groups}, got shape ${formatShape(x.shape)}`,
    );
  const [n, c] = x.shape as [number, number];
  const rest = x.shape.slice(2);
  return composite(() => reshape(transpose(reshape(x, [n, groups, c / groups, ...rest]), 1, 2), x.shape));
}
