// An integer (int32 and bool) transpose as a WGSL program run by tfjs-backend-webgpu. Its own
// TransposeProgram (4.22) writes each element with setOutputAtIndex, which takes an f32: for an
// int32 or bool tensor on the GPU the shader does not compile ("type mismatch ... expected 'f32',
// got 'i32'"), tfjs only logs that, and the result is zeros or stale memory. tfjs's reductions
// transpose the reduced axes innermost with that same program, so an integer sum or max over a
// leading axis of a rank >= 3 tensor was wrong too (the backend now transposes with this one first).
import { flatProgram, type WebGpuProgram, type WebGpuProgramRunner } from './webgpu-program.js';

/** The field of tfjs's coordinate value for axis i of a rank-`rank` output (its i32 / vecN / vec5 / vec6 types). */
function coordinate(i: number, rank: number): string {
  return rank === 1 ? 'coords' : `coords.${'xyzwuv'[i]!}`;
}

/** tfjs's WGSL type of rank-`rank` coordinates. */
function coordinateType(rank: number): string {
  return rank === 1 ? 'i32' : rank <= 4 ? `vec${rank}<i32>` : `vec${rank}`;
}

/** output[c] = A[c permuted back]: output axis i is input axis perm[i] (ranks 1 to 6, as tfjs). */
export function integerTransposeProgram(shape: readonly number[], perm: readonly number[]): WebGpuProgram {
  const rank = shape.length;
  if (rank < 1 || rank > 6) throw new RangeError(`integer transpose: rank ${rank} is outside 1..6`);
  const outputShape = perm.map((axis) => shape[axis]!);
  const source = new Array<string>(rank);
  perm.forEach((axis, i) => (source[axis] = coordinate(i, rank)));
  const index = `getIndexFromCoords${rank}D(${coordinateType(rank)}(${source.join(', ')}), uniforms.aShape)`;
  return flatProgram(
    `myelin_transpose_int_${perm.join('_')}`,
    ['A'],
    outputShape,
    '',
    `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          setOutputAtIndexI32(index, i32(A[${index}]));
        }
      }
    `,
  );
}

/** Runs it on an int32 or bool tfjs tensor `x`; the caller wraps and tracks the TensorInfo it returns. */
export function runIntegerTranspose(
  runner: WebGpuProgramRunner,
  x: unknown,
  shape: readonly number[],
  perm: readonly number[],
  dtype: 'int32' | 'bool',
): unknown {
  return runner.runWebGPUProgram(integerTransposeProgram(shape, perm), [x], dtype, []);
}
