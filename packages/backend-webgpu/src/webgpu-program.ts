// What Myelin's own WGSL programs need of tfjs-backend-webgpu: the program interface a custom
// program fills in and the backend method that compiles (once per shaderKey) and records one.

/** The part of tfjs-backend-webgpu's program interface a custom program fills in. */
export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Adds `uniforms.size`, the output's element count. */
  size: boolean;
  uniforms: string;
  getUserCode(): string;
}

/** A uniform's value as runWebGPUProgram takes it (declared in the program's `uniforms`, in order). */
export interface WebGpuUniform {
  type: 'float32' | 'int32';
  data: number[];
}

/** The tfjs WebGPU backend's method that compiles (once, cached by shaderKey) and records a program. */
export interface WebGpuProgramRunner {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: unknown[],
    outputDtype: 'float32' | 'int32' | 'bool',
    uniforms: WebGpuUniform[],
  ): unknown;
}

/** Threads per workgroup of the flat (one thread per output element or row) programs. */
export const WORKGROUP = 128;

/** A flat program over `outputShape`: one thread per output element, `main(index)` guarded by the caller. */
export function flatProgram(
  shaderKey: string,
  variableNames: string[],
  outputShape: readonly number[],
  uniforms: string,
  body: string,
): WebGpuProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    variableNames,
    outputShape: [...outputShape],
    shaderKey,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(size / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => body,
  };
}
