import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { selectAlong } from './select.js';

/** How `pad` fills: a constant value, or PyTorch's 'reflect', 'replicate' and 'circular' modes. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

export const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * The source index of padded position `i` (from -before to size + after - 1) of an axis of `size`:
 * reflect mirrors about the edge without repeating it (d c b | a b c d | c b a), replicate repeats
 * the edge, circular wraps around.
 */
function sourceIndex(mode: Exclude<PadMode, 'constant'>, i: number, size: number): number {
  if (mode === 'replicate') return Math.min(Math.max(i, 0), size - 1);
  if (mode === 'circular') return ((i % size) + size) % size;
  return i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
}

/**
 * Pads x by [before, after] per axis with PyTorch's non-constant modes: one gather per padded axis
 * with indices made on the host, so gradients flow back (summed) into the elements copied.
 * PyTorch's limits: reflect needs each padding below the axis' size, circular at most the size.
 */
export function padByMode(
  x: Tensor,
  paddings: readonly (readonly [number, number])[],
  mode: Exclude<PadMode, 'constant'>,
): Tensor {
  paddings.forEach(([before, after], axis) => {
    const size = x.shape[axis]!;
    if (before + after === 0) return;
    const tooLarge =
      mode === 'reflect'
        ? Math.max(before, after) >= size
        : mode === 'circular'
          ? Math.max(before, after) > size
          : size === 0;
    if (tooLarge) {
      const limit =
        mode === 'reflect'
          ? `below the size ${size}`
          : mode === 'circular'
            ? `at most the size ${size}`
            : 'a non-empty axis';
      throw new ShapeError(
        `pad: ${mode} padding [${before}, ${after}] of axis ${axis} of shape ${formatShape(x.shape)} needs ${limit}`,
      );
    }
  });
  return composite(() => {
    let out = x;
    paddings.forEach(([before, after], axis) => {
      if (before + after === 0) return;
      const size = x.shape[axis]!;
      const indices = Array.from({ length: before + size + after }, (_, i) => sourceIndex(mode, i - before, size));
      out = selectAlong(out, axis, indices);
    });
    return out;
  });
}

/** Checks a pad mode (PyTorch's names). */
export function checkPadMode(what: string, mode: unknown): PadMode {
  if (typeof mode === 'string' && (PAD_MODES as readonly string[]).includes(mode)) return mode as PadMode;
  throw new ArgumentError(`${what} must be ${PAD_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`);
}
