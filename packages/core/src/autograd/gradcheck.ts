import { ArgumentError, DTypeError, MyelinError, describeValue, formatShape } from '../errors.js';
import { isFloat } from '../backend/dtypes.js';
import { fromHost } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

/** Analytical and numerical gradients disagree (gradcheck with `raiseException`, the default). */
export class GradcheckError extends MyelinError {
  override name = 'GradcheckError';
}

export interface GradcheckOptions {
  /** The central difference's step (default 1e-6, as PyTorch's). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, of the numerical value (default 1e-3). */
  rtol?: number;
  /** Throw a GradcheckError naming the first mismatch (default true), or return false. */
  raiseException?: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/**
 * torch.autograd.gradcheck: compares the gradients backward() computes for `fn` with central
 * finite differences, element by element of every Jacobian (every float output against every
 * input that requires gradients). Those inputs must be float64, as PyTorch requires; so does a
 * backend that stores them (cpu, cpu-reference). `fn` must be deterministic (no dropout). Costs
 * one backward per output element and two forwards per input element: for small checks of a
 * custom op or layer. No `.grad` changes: backward runs on copies of the inputs, with the other
 * leaves fn uses (a layer's parameters) switched off meanwhile.
 */
export async function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[],
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): Promise<boolean> {
  if (typeof fn !== 'function')
    throw new ArgumentError(`gradcheck: expected a function of tensors, got ${describeValue(fn)}`);
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new ArgumentError(`gradcheck: expected a non-empty array of input tensors, got ${describeValue(inputs)}`);
  const eps = positive('eps', options.eps ?? 1e-6);
  const atol = positive('atol', options.atol ?? 1e-5, true);
  const rtol = positive('rtol', options.rtol ?? 1e-3, true);
  const raise = options.raiseException ?? true;
  const checked = inputs.flatMap((input, i) => (input.requiresGrad ? [i] : []));
  if (checked.length === 0)
    throw new ArgumentError('gradcheck: no input requires gradients; set requiresGrad on the inputs to check');
  for (const i of checked)
    if (inputs[i]!.dtype !== 'float64')
      throw new DTypeError(
        `gradcheck: input ${i} requires gradients and is ${inputs[i]!.dtype}; finite differences need float64 (cast it with .cast('float64') on cpu or cpu-reference)`,
      );

  // backward() runs on fresh leaves holding the inputs' values, and every other leaf that needs
  // a gradient (a layer's parameters inside fn) is switched off meanwhile: no .grad anywhere
  // changes, as torch.autograd.gradcheck (autograd.grad) leaves them.
  const leaves = inputs.map((input) => (input.requiresGrad ? keep(input.detach()).requiresGrad_() : input));
  let analytical: Float64Array[][];
  let sizes: number[];
  try {
    ({ jacobians: analytical, sizes } = await analyticalJacobians(fn, leaves, checked));
  } finally {
    for (const [i, leaf] of leaves.entries()) if (leaf !== inputs[i]) leaf.dispose();
  }
  const numerical = await numericalJacobians(fn, inputs, checked, eps, sizes);

  for (const [o, rows] of analytical.entries())
    for (const [c, i] of checked.entries()) {
      const a = rows[c]!;
      const n = numerical[o]![c]!;
      const size = inputs[i]!.size;
      for (let k = 0; k < a.length; k++) {
        if (Math.abs(a[k]! - n[k]!) <= atol + rtol * Math.abs(n[k]!)) continue;
        if (!raise) return false;
        throw new GradcheckError(
          `gradcheck: Jacobian mismatch for output ${o} with respect to input ${i} (shape ${formatShape(inputs[i]!.shape)}) at output element ${Math.floor(k / size)}, input element ${k % size}: numerical ${n[k]}, analytical ${a[k]} (atol ${atol}, rtol ${rtol}, eps ${eps})`,
        );
      }
    }
  return true;
}

function positive(name: string, value: number, zeroAllowed = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0))
    throw new ArgumentError(
      `gradcheck: ${name} must be a finite number ${zeroAllowed ? '>= 0' : '> 0'}, got ${describeValue(value)}`,
    );
  return value;
}

/** fn's float outputs as an array (non-float outputs have no gradient to check). */
function floatOutputs(result: Tensor | readonly Tensor[]): Tensor[] {
  const outputs = Array.isArray(result) ? [...(result as readonly Tensor[])] : [result as Tensor];
  return outputs.filter((t) => isFloat(t.dtype));
}

/** For each output o and checked input c: the Jacobian [output size x input size], row-major; and the outputs' sizes. */
async function analyticalJacobians(
  fn: Fn,
  inputs: readonly Tensor[],
  checked: number[],
): Promise<{ jacobians: Float64Array[][]; sizes: number[] }> {
  // One forward, then one backward per output element through the kept graph, all inside one
  // tidy (it frees the graph); each row's gradients are copied out of it to be read after.
  const rows: { output: number; element: number; grads: (Tensor | null)[] }[] = [];
  const sizes: number[] = [];
  let frozen: Tensor[] = [];
  tidy(() => {
    frozen = otherLeaves(floatOutputs(fn(...inputs)), inputs);
  });
  for (const leaf of frozen) leaf.requiresGrad = false;
  try {
    tidy(() => {
      const outputs = floatOutputs(fn(...inputs));
      outputs.forEach((output, o) => {
        sizes.push(output.size);
        if (!output.requiresGrad) return; // it depends on no checked input: its rows stay zero
        for (let element = 0; element < output.size; element++) {
          for (const i of checked) inputs[i]!.grad = null;
          const seed = new Float64Array(output.size);
          seed[element] = 1;
          output.backward(fromHost(seed, output.shape, { dtype: output.dtype, backend: output.backend }), {
            retainGraph: true,
          });
          const grads = checked.map((i) => {
            const grad = inputs[i]!.grad;
            return grad === null ? null : keep(grad.detach());
          });
          rows.push({ output: o, element, grads });
        }
      });
    });
  } finally {
    for (const leaf of frozen) leaf.requiresGrad = true;
  }
  const jacobians = sizes.map((size) => checked.map((i) => new Float64Array(size * inputs[i]!.size)));
  for (const { output, element, grads } of rows)
    for (const [c, grad] of grads.entries()) {
      if (grad === null) continue;
      jacobians[output]![c]!.set(await grad.data(), element * inputs[checked[c]!]!.size);
      grad.dispose();
    }
  return { jacobians, sizes };
}

/** The leaves of the outputs' graph that require gradients, other than `inputs` (parameters fn uses). */
function otherLeaves(outputs: readonly Tensor[], inputs: readonly Tensor[]): Tensor[] {
  const found = new Set<Tensor>();
  const seen = new Set<Tensor>(inputs);
  const stack = [...outputs];
  while (stack.length > 0) {
    const tensor = stack.pop()!;
    if (seen.has(tensor) || !tensor.requiresGrad) continue;
    seen.add(tensor);
    if (tensor.gradNode === null) found.add(tensor);
    else stack.push(...tensor.gradNode.inputs);
  }
  return [...found];
}

/** Central differences: for each output o (of `sizes[o]` elements) and checked input c, [output size x input size]. */
async function numericalJacobians(
  fn: Fn,
  inputs: readonly Tensor[],
  checked: number[],
  eps: number,
  sizes: number[],
): Promise<Float64Array[][]> {
  const jacobians = sizes.map((size) => checked.map((i) => new Float64Array(size * inputs[i]!.size)));
  for (const [c, i] of checked.entries()) {
    const input = inputs[i]!;
    const base = Float64Array.from(await input.data());
    /** fn's float outputs, read, with element k of input i moved by delta. */
    const at = async (k: number, delta: number): Promise<Float64Array[]> => {
      const moved = base.slice();
      moved[k]! += delta;
      const outputs = noGrad(() =>
        tidy(() => {
          const replaced = inputs.map((x, m) =>
            m === i ? fromHost(moved, x.shape, { dtype: x.dtype, backend: x.backend }) : x,
          );
          return floatOutputs(fn(...replaced));
        }),
      );
      try {
        return await Promise.all(outputs.map(async (o) => Float64Array.from(await o.data())));
      } finally {
        for (const o of outputs) o.dispose();
      }
    };
    for (let k = 0; k < input.size; k++) {
      const plus = await at(k, eps);
      const minus = await at(k, -eps);
      plus.forEach((values, o) => {
        for (let j = 0; j < values.length; j++)
          jacobians[o]![c]![j * input.size + k] = (values[j]! - minus[o]![j]!) / (2 * eps);
      });
    }
  }
  return jacobians;
}
