import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { isFloat } from '../backend/dtypes.js';
import { concat, reshape, slice } from '../ops/movement.js';
import { zerosLike } from '../tensor/creation.js';
import { compositeResults } from '../tensor/scope.js';
import { isTensor } from '../tensor/is-tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import type { GradNode } from './node.js';

/** What the function given to `customGrad` returns: its value and the gradient of its inputs. */
export interface CustomGradResult<V extends Tensor | Tensor[]> {
  /** The output: one tensor, or several (then the wrapped function returns an array). */
  value: V;
  /**
   * Given the gradient of the loss for each output (one tensor for a single output; for
   * several, an array in the same order, zeros for an output no gradient reached), returns one
   * gradient per input, of that input's shape, or null where none flows. Runs under noGrad.
   */
  gradFunc: (dy: V) => readonly (Tensor | null | undefined)[];
}

/**
 * A function with its own gradient, as tf.customGrad and PyTorch's torch.autograd.Function:
 * `f` computes the value with gradient recording off (however many ops it takes, the tape
 * gets one node) and returns a `gradFunc` that maps the outputs' gradients to the inputs'.
 * Tensors made inside `f` live as long as the outputs' graph, so `gradFunc` may use them
 * (dispose inside `f` what it won't need). Non-float outputs (indices) get no gradient.
 *
 * ```ts
 * const clippedIdentity = customGrad((x: Tensor) => ({
 *   value: x.mul(1),
 *   gradFunc: (dy) => [clamp(dy, -1, 1)],
 * }));
 * ```
 */
export function customGrad<A extends Tensor[], V extends Tensor | Tensor[]>(
  f: (...inputs: A) => CustomGradResult<V>,
): (...inputs: A) => V {
  if (typeof f !== 'function') throw new ArgumentError(`customGrad: expected a function, got ${describeValue(f)}`);
  const name = f.name === '' ? 'customGrad' : `customGrad(${f.name})`;
  return (...inputs: A): V => {
    inputs.forEach((input, i) => {
      if (!isTensor(input))
        throw new ArgumentError(`${name}: argument ${i} must be a Tensor, got ${describeValue(input)}`);
    });
    const recording = isGradEnabled() && inputs.some((t) => t.requiresGrad);
    let single = false;
    let floats: number[] = [];
    const results = compositeResults(() => {
      const result = noGrad(() => f(...inputs));
      const { values, gradFunc } = checkResult(name, result);
      single = !Array.isArray(result.value);
      // An input returned as is becomes an alias, so the output is a tensor of its own.
      const outputs = values.map((v) => (inputs.includes(v as never) ? v.detach() : v));
      floats = outputs.flatMap((v, i) => (isFloat(v.dtype) ? [i] : []));
      if (!recording || floats.length === 0) return outputs;
      // The node goes on an alias: never on a tensor `f` did not make (a parameter it returned).
      if (single)
        return [record(name, outputs[0]!.detach(), inputs, (g) => checkGradients(name, inputs, gradFunc(g as V)))];
      return recordPacked(name, outputs, floats, inputs, (dys) => checkGradients(name, inputs, gradFunc(dys as V)));
    });
    return (single ? results[0]! : results) as V;
  };
}

/** Records `output` as one 'custom' node over `inputs` (the output is fresh: no node of its own). */
function record(
  name: string,
  output: Tensor,
  inputs: readonly Tensor[],
  gradFunc: (g: Tensor) => (Tensor | null)[],
): Tensor {
  const node: GradNode<'custom'> = {
    op: 'custom',
    inputs,
    attrs: { name, gradFunc },
    inputVersions: inputs.map((t) => t.version),
  };
  output.requiresGrad = true;
  output.gradNode = node;
  return output;
}

/**
 * Several outputs: the float ones are flattened into one packed tensor that carries the node,
 * and each is handed out as a (recorded) slice of it, so a backward pass runs `gradFunc` once
 * with every output's gradient (the slices' gradients sum into the packed one).
 */
function recordPacked(
  name: string,
  outputs: Tensor[],
  floats: readonly number[],
  inputs: readonly Tensor[],
  gradFunc: (dys: Tensor[]) => (Tensor | null)[],
): Tensor[] {
  const dtype = outputs[floats[0]!]!.dtype;
  for (const i of floats) {
    if (outputs[i]!.dtype !== dtype)
      throw new DTypeError(
        `${name}: float outputs must share one dtype to be differentiated together, got ${dtype} (output ${floats[0]}) and ${outputs[i]!.dtype} (output ${i})`,
      );
  }
  const offsets: number[] = [];
  let total = 0;
  for (const i of floats) {
    offsets.push(total);
    total += outputs[i]!.size;
  }
  const packed = record(
    name,
    noGrad(() => concat(floats.map((i) => reshape(outputs[i]!, [outputs[i]!.size])))),
    inputs,
    (g) =>
      gradFunc(
        outputs.map((output, i) => {
          const at = floats.indexOf(i);
          if (at < 0) return zerosLike(output);
          return reshape(slice(g, [offsets[at]!], [output.size]), output.shape);
        }),
      ),
  );
  return outputs.map((output, i) => {
    const at = floats.indexOf(i);
    return at < 0 ? output : reshape(slice(packed, [offsets[at]!], [output.size]), output.shape);
  });
}

function checkResult<V extends Tensor | Tensor[]>(
  name: string,
  result: unknown,
): { values: Tensor[]; gradFunc: CustomGradResult<V>['gradFunc'] } {
  if (typeof result !== 'object' || result === null || !('value' in result) || !('gradFunc' in result))
    throw new ArgumentError(`${name}: the function must return { value, gradFunc }, got ${describeValue(result)}`);
  const { value, gradFunc } = result as CustomGradResult<V>;
  const values: Tensor[] = Array.isArray(value) ? [...(value as Tensor[])] : [value as Tensor];
  if (values.length === 0) throw new ArgumentError(`${name}: value is an empty array; return at least one tensor`);
  values.forEach((v, i) => {
    if (!isTensor(v))
      throw new ArgumentError(
        `${name}: value${Array.isArray(value) ? `[${i}]` : ''} must be a Tensor, got ${describeValue(v)}`,
      );
  });
  if (typeof gradFunc !== 'function')
    throw new ArgumentError(`${name}: gradFunc must be a function (dy) => gradients, got ${describeValue(gradFunc)}`);
  return { values, gradFunc };
}

/** One gradient per input, each of its input's shape (cast to its dtype); null where none flows. */
function checkGradients(
  name: string,
  inputs: readonly Tensor[],
  gradients: readonly (Tensor | null | undefined)[],
): (Tensor | null)[] {
  if (!Array.isArray(gradients) || gradients.length !== inputs.length)
    throw new ArgumentError(
      `${name}: gradFunc must return an array of one gradient (or null) per input, ${inputs.length} in all, got ${Array.isArray(gradients) ? `${gradients.length} entries` : describeValue(gradients)}`,
    );
  return inputs.map((input, i) => {
    const g = gradients[i];
    if (g === null || g === undefined) return null;
    if (!isTensor(g))
      throw new ArgumentError(`${name}: gradient ${i} must be a Tensor or null, got ${describeValue(g)}`);
    if (g.shape.length !== input.shape.length || g.shape.some((d, j) => d !== input.shape[j]))
      throw new ShapeError(
        `${name}: gradient ${i} has shape ${formatShape(g.shape)} but its input has shape ${formatShape(input.shape)}; return one gradient of each input's shape`,
      );
    return g.dtype === input.dtype || !isFloat(input.dtype) ? g : g.cast(input.dtype);
  });
}
