import { ArgumentError } from '../errors.js';
import { isFloat } from '../backend/dtypes.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { defaultGenerator } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { isTensor } from '../tensor/is-tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { customGrad } from './custom-grad.js';
import { isGradEnabled, setGradEnabled } from './grad-mode.js';

/**
 * Gradient checkpointing, as torch.utils.checkpoint.checkpoint: runs `fn(...inputs)` keeping
 * none of its intermediates, and runs it again during backward to get its gradients, trading
 * one more forward of `fn` for the memory of its activations. The default generator's state is
 * restored for the second run, so dropout draws the same masks (a module given its own
 * `generator` is not rewound: don't checkpoint those). Parameters `fn` uses get their
 * gradients even when no input requires one (unlike PyTorch's reentrant variant). Running
 * statistics (BatchNorm in training mode) are updated by both runs, as in PyTorch.
 */
export function checkpoint<A extends Tensor[], V extends Tensor | Tensor[]>(fn: (...inputs: A) => V, ...inputs: A): V {
  if (typeof fn !== 'function') throw new ArgumentError(`checkpoint: expected a function, got ${typeof fn}`);
  inputs.forEach((input, i) => {
    if (!isTensor(input))
      throw new ArgumentError(`checkpoint: argument ${i + 1} must be a Tensor, got ${typeof input}`);
  });
  if (!isGradEnabled()) return fn(...inputs);
  const rng = defaultGenerator.getState();
  // The first run records, only to find the leaves (parameters) `fn` reads; its graph is freed
  // with the tidy, so at most one segment's activations are alive at a time.
  let leaves: Tensor[] = [];
  let single = false;
  const outputs = tidy(() => {
    const detached = inputs.map((x) => cutFrom(x));
    const result = withGrad(true, () => fn(...(detached as A)));
    single = !Array.isArray(result);
    const list = checkOutputs(result);
    leaves = reachableLeaves(list, new Set(detached));
    return list.map((t) => t.detach());
  });
  const all = [...inputs, ...leaves];
  const gradFunc = (dys: Tensor[]) => recompute(fn, inputs, leaves, dys, rng);
  // One output goes on the node itself (no packing copy).
  const results = single
    ? [customGrad((..._all: Tensor[]) => ({ value: outputs[0]!, gradFunc: (dy: Tensor) => gradFunc([dy]) }))(...all)]
    : customGrad((..._all: Tensor[]) => ({ value: outputs, gradFunc }))(...all);
  for (const o of outputs) if (!results.includes(o)) o.dispose();
  return (single ? results[0]! : results) as V;
}

/**
 * torch.utils.checkpoint.checkpoint_sequential: splits `functions` (layers, applied in turn)
 * into `segments` runs of about equal length and checkpoints each but the last.
 */
export function checkpointSequential(
  functions: readonly ((x: Tensor) => Tensor)[],
  segments: number,
  input: Tensor,
): Tensor {
  if (!Number.isInteger(segments) || segments < 1)
    throw new ArgumentError(`checkpointSequential: segments must be a positive integer, got ${segments}`);
  if (functions.length === 0) throw new ArgumentError('checkpointSequential: functions is empty; give at least one');
  const size = Math.ceil(functions.length / Math.min(segments, functions.length));
  let x = input;
  for (let start = 0; start < functions.length; start += size) {
    const part = functions.slice(start, start + size);
    const run = (y: Tensor) => part.reduce((acc, f) => f(acc), y);
    x = start + size >= functions.length ? run(x) : checkpoint(run, x);
  }
  return x;
}

/** The second run: rewinds the generator, records `fn` again and backpropagates `dys` through it. */
function recompute<A extends Tensor[]>(
  fn: (...inputs: A) => Tensor | Tensor[],
  inputs: readonly Tensor[],
  leaves: readonly Tensor[],
  dys: readonly Tensor[],
  rng: ReturnType<typeof defaultGenerator.getState>,
): (Tensor | null)[] {
  const after = defaultGenerator.getState();
  defaultGenerator.setState(rng);
  // The leaves' gradients from earlier backward passes step aside, so what the recomputation
  // leaves in `.grad` is exactly this node's gradient; they come back after.
  const stashed = leaves.map((leaf) => (leaf.grad === null ? null : leaf.grad.detach()));
  for (const leaf of leaves) leaf.grad = null;
  try {
    const detached = inputs.map((x) => cutFrom(x));
    withGrad(true, () => {
      const list = checkOutputs(fn(...(detached as A)));
      let root: Tensor | null = null;
      list.forEach((out, i) => {
        if (!out.requiresGrad) return;
        const term = sum(mul(out, dys[i]!));
        root = root === null ? term : add(root, term);
      });
      if (root !== null) (root as Tensor).backward();
    });
    const taken = (t: Tensor) => {
      const g = t.grad === null ? null : t.grad.detach();
      t.grad = null;
      return g;
    };
    return [...detached.map(taken), ...leaves.map(taken)];
  } finally {
    leaves.forEach((leaf, i) => (leaf.grad = stashed[i]!));
    defaultGenerator.setState(after);
  }
}

/** A copy of `x` cut from its graph, collecting a gradient where `x` wants one. */
function cutFrom(x: Tensor): Tensor {
  const d = x.detach();
  if (x.requiresGrad && isFloat(x.dtype)) d.requiresGrad_();
  return d;
}

function checkOutputs(result: unknown): Tensor[] {
  const list = Array.isArray(result) ? result : [result];
  list.forEach((t, i) => {
    if (!isTensor(t))
      throw new ArgumentError(
        `checkpoint: the function must return a Tensor or an array of Tensors; output ${i} is ${typeof t}`,
      );
  });
  return list as Tensor[];
}

/** Leaves requiring gradients reachable from `outputs`, not through `stop` (the inputs' copies). */
function reachableLeaves(outputs: readonly Tensor[], stop: ReadonlySet<Tensor>): Tensor[] {
  const seen = new Set<Tensor>();
  const leaves: Tensor[] = [];
  const stack = outputs.filter((t) => t.requiresGrad);
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || stop.has(t)) continue;
    seen.add(t);
    const node = t.gradNode;
    if (node === null) leaves.push(t);
    else for (const input of node.inputs) if (input.requiresGrad) stack.push(input);
  }
  return leaves;
}

function withGrad<T>(enabled: boolean, fn: () => T): T {
  const previous = setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    setGradEnabled(previous);
  }
}
