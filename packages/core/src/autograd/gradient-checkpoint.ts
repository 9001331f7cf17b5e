import { ArgumentError, describeValue } from '../errors.js';
import { isFloat } from '../backend/dtypes.js';
import { defaultGenerator, type GeneratorState } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { isTensor } from '../tensor/is-tensor.js';
import { nextTensorIdValue, type Tensor } from '../tensor/tensor.js';
import { gradientsOf } from './backward.js';
import { customGrad } from './custom-grad.js';
import { isGradEnabled, setGradEnabled } from './grad-mode.js';

/**
 * Gradient checkpointing, as torch.utils.checkpoint.checkpoint: runs `fn(...inputs)` keeping
 * none of its intermediates, and runs it again during backward to get its gradients, trading
 * one more forward of `fn` for the memory of its activations. The default generator's state is
 * restored for the second run, so dropout draws the same masks (a module given its own
 * `generator` is not rewound: don't checkpoint those). Every tensor from outside that `fn`
 * reads and that wants a gradient (parameters, or a result computed before) gets it through
 * the checkpoint, even when no input requires one (unlike PyTorch's reentrant variant), and
 * gradient hooks run once, as without checkpointing. Running statistics (BatchNorm in training
 * mode) are updated by both runs, as in PyTorch.
 */
export function checkpoint<A extends Tensor[], V extends Tensor | Tensor[]>(fn: (...inputs: A) => V, ...inputs: A): V {
  if (typeof fn !== 'function') throw new ArgumentError(`checkpoint: expected a function, got ${describeValue(fn)}`);
  inputs.forEach((input, i) => {
    if (!isTensor(input))
      throw new ArgumentError(`checkpoint: argument ${i + 1} must be a Tensor, got ${describeValue(input)}`);
  });
  if (!isGradEnabled()) return fn(...inputs);
  const rng = defaultGenerator.getState();
  // The first run records, only to find the outside tensors `fn` reads (those made before it,
  // wanting a gradient); its graph is freed with the tidy, so at most one segment's
  // activations are alive at a time.
  let outside: Tensor[] = [];
  let single = false;
  const outputs = tidy(() => {
    const from = nextTensorIdValue();
    const copies = inputs.map((x) => cutFrom(x));
    const result = withGrad(true, () => fn(...(copies as A)));
    single = !Array.isArray(result);
    const list = checkOutputs(result);
    outside = outsideTensors(list, new Set(copies), from);
    return list.map((t) => t.detach());
  });
  const all = [...inputs, ...outside];
  const gradFunc = (dys: Tensor[]) => recompute(fn, inputs, outside, dys, rng);
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
    throw new ArgumentError(
      `checkpointSequential: segments must be a positive integer, got ${describeValue(segments)}`,
    );
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

/**
 * The second run: rewinds the generator, records `fn` again on fresh copies of the inputs and
 * takes the gradients of those copies and of the outside tensors through that graph alone
 * (gradientsOf), for the enclosing backward pass to hand on.
 */
function recompute<A extends Tensor[]>(
  fn: (...inputs: A) => Tensor | Tensor[],
  inputs: readonly Tensor[],
  outside: readonly Tensor[],
  dys: readonly Tensor[],
  rng: GeneratorState,
): (Tensor | null)[] {
  const after = defaultGenerator.getState();
  defaultGenerator.setState(rng);
  try {
    const from = nextTensorIdValue();
    const copies = inputs.map((x) => cutFrom(x));
    const list = withGrad(true, () => checkOutputs(fn(...(copies as A))));
    const roots = list.filter((out) => out.requiresGrad);
    const seeds = list.flatMap((out, i) => (out.requiresGrad ? [dys[i]!] : []));
    return gradientsOf(roots, seeds, [...copies, ...outside], from);
  } finally {
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
        `checkpoint: the function must return a Tensor or an array of Tensors; output ${i} is ${describeValue(t)}`,
      );
  });
  return list as Tensor[];
}

/**
 * The tensors made before the run (ids below `from`) that wanting a gradient are reachable from
 * `outputs`: parameters and earlier results `fn` read. The walk stops at them and at `stop`
 * (the inputs' copies), so it never enters the graph outside the block.
 */
function outsideTensors(outputs: readonly Tensor[], stop: ReadonlySet<Tensor>, from: number): Tensor[] {
  const seen = new Set<Tensor>();
  const found: Tensor[] = [];
  const stack = outputs.filter((t) => t.requiresGrad);
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || stop.has(t)) continue;
    seen.add(t);
    if (t.id < from) found.push(t);
    else if (t.gradNode !== null) for (const input of t.gradNode.inputs) if (input.requiresGrad) stack.push(input);
  }
  return found;
}

function withGrad<T>(enabled: boolean, fn: () => T): T {
  const previous = setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    setGradEnabled(previous);
  }
}
