import type { DType } from '@myelin/core';
import { DataError } from './errors.js';

/** The typed arrays a sample's values may live in. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array;

/**
 * Values on the host with a row-major shape: a sample's features or target. Datasets over one
 * big buffer hand out views (`subarray`) into it, so reading a sample copies nothing.
 */
export interface HostArray {
  readonly data: NumericArray;
  readonly shape: readonly number[];
}

/**
 * One example. `x` is the input; `y` is a class index (a number, batched as int32) or a
 * target array (batched as float32, or int32 when it is an Int32Array).
 *
 * Image layout: CHW (`[channels, height, width]`, like torchvision tensors) or HW
 * (`[height, width]`, one channel).
 */
export interface Sample {
  readonly x: HostArray;
  readonly y: HostArray | number;
}

export function hostArray(data: NumericArray, shape: readonly number[]): HostArray {
  return { data, shape };
}

/** The dtype a typed array batches to: Int32Array stays int32, everything else becomes float32. */
export function batchDTypeOf(data: NumericArray): DType {
  return data instanceof Int32Array ? 'int32' : 'float32';
}

// Core's shape helpers under the names this package uses.
import { formatShape, shapesEqual as sameShape, sizeOf as sizeOfShape } from '@myelin/core';
export { formatShape, sameShape, sizeOfShape };

/** Checks that `array.data` holds exactly the values its shape says. */
export function checkHostArray(array: HostArray, what: string): void {
  const size = sizeOfShape(array.shape);
  if (array.data.length !== size) {
    throw new DataError({
      source: what,
      expected: `${size} values for shape ${formatShape(array.shape)}`,
      found: `${array.data.length}`,
    });
  }
}

/** The (height, width, channels) of an image in CHW or HW layout. */
export function imageGeometry(
  shape: readonly number[],
  transform: string,
): { channels: number; height: number; width: number } {
  if (shape.length === 2) return { channels: 1, height: shape[0]!, width: shape[1]! };
  if (shape.length === 3) return { channels: shape[0]!, height: shape[1]!, width: shape[2]! };
  throw new DataError({
    source: transform,
    expected: 'an image of shape [C,H,W] or [H,W]',
    found: `shape ${formatShape(shape)}`,
  });
}

/** Floats per slab of newFloat32; requests over an eighth of it get their own array. */
const SLAB_FLOATS = 1 << 16;
let slab = new Float32Array(0);
let slabUsed = 0;

/**
 * A zeroed Float32Array of `length`, like `new Float32Array(length)` but, when small, a view
 * into a shared 256 KiB slab: each per-sample transform output (784 floats for an MNIST image)
 * would otherwise cost its own backing store (about 2 us in V8 — as much as the transform's
 * loop). Each region is handed out once; a slab lives while any of its views does.
 */
export function newFloat32(length: number): Float32Array {
  if (length > SLAB_FLOATS / 8) return new Float32Array(length);
  if (slabUsed + length > slab.length) {
    slab = new Float32Array(SLAB_FLOATS);
    slabUsed = 0;
  }
  const view = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  return view;
}
