import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { fullLike } from '../tensor/creation.js';
import { tidy, trackTensor } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';
import { gradientRules, type GradRule } from './gradients.js';
import { PENDING_GRAD, VISITED_IN, type GradNode } from './node.js';

/**
 * Reverse-mode differentiation from `root`: walks the tape in reverse topological order,
 * runs each op's rule once with the summed gradient of its output, and accumulates into the
 * `.grad` of every leaf that requires it (adding to what is there, as in PyTorch).
 * Intermediate gradients are freed as soon as they have been used.
 */
export function backward(root: Tensor, gradient: Tensor | undefined, options: { retainGraph?: boolean }): void {
  if (!root.requiresGrad) {
    throw new ArgumentError(
      'backward: this tensor does not require gradients (no input had requiresGrad set, or it was made under noGrad)',
    );
  }
  if (gradient === undefined && root.size !== 1) {
    throw new ShapeError(
      `backward: a gradient can only be implied for a single-element output, got shape ${formatShape(root.shape)}; pass the gradient explicitly`,
    );
  }
  if (
    gradient !== undefined &&
    (gradient.shape.length !== root.shape.length || gradient.shape.some((d, i) => d !== root.shape[i]))
  ) {
    throw new ShapeError(
      `backward: gradient of shape ${formatShape(gradient.shape)} does not match output of shape ${formatShape(root.shape)}`,
    );
  }
  const order = topologicalOrder(root);
  let released: Tensor | undefined;
  for (const tensor of order) {
    if (tensor.releasedGraphOp !== null) {
      released = tensor;
      break;
    }
  }
  if (released !== undefined) {
    throw new ArgumentError(
      `backward: trying to backward through the graph a second time: the graph of a tensor of shape ${formatShape(released.shape)} (made by '${released.releasedGraphOp}') was already freed by an earlier backward(). Specify retainGraph: true in the earlier backward() call if you need to backward through the graph a second time (as PyTorch's retain_graph=True)`,
    );
  }
  noGrad(() => {
    // Each tensor's pending gradient sits in its PENDING_GRAD slot (only tensors of `order` get one).
    const seeded = gradient === undefined && !options.retainGraph && seedFromFusedLoss(root);
    if (!seeded) root[PENDING_GRAD] = gradient ? gradient.cast(root.dtype) : fullLike(root, 1);
    try {
      for (let i = order.length - 1; i >= 0; i--) {
        const tensor = order[i]!;
        let grad = tensor[PENDING_GRAD];
        if (grad === null) continue;
        tensor[PENDING_GRAD] = null;
        // Complete now: every op using this tensor came later in the order.
        if (tensor.watchesGradient) grad = tensor.applyGradientHooks(grad);
        const node = tensor.gradNode;
        if (node === null) {
          tensor.grad = tensor.grad === null ? grad : accumulate(tensor.grad, grad);
          continue;
        }
        const flowing = runRule(node, grad, tensor);
        for (let j = 0; j < flowing.length; j += 2) {
          const input = flowing[j]!;
          const value = flowing[j + 1]!;
          const previous = input[PENDING_GRAD];
          input[PENDING_GRAD] = previous === null ? value : accumulate(previous, value);
        }
      }
    } finally {
      // After a failed rule, drop the references (as the Map of pending gradients was dropped).
      for (const tensor of order) tensor[PENDING_GRAD] = null;
    }
    if (!options.retainGraph) for (const tensor of order) tensor.releaseGraph();
  });
}

/**
 * backward() from a scalar loss made by a fused loss kernel, with the implied gradient 1: the
 * kernel's gradient for its input is already the answer (the rule would multiply it by exactly
 * 1), so it moves from the loss to the input's pending slot, and no 1 is filled and no product
 * made (two launches and two allocations a training step on a GPU). Not under retainGraph (the
 * node must keep it), and not when the input changed in place (the rule's path reports that).
 */
function seedFromFusedLoss(root: Tensor): boolean {
  const node = root.gradNode;
  if (node === null || (node.op !== 'softmaxCrossEntropy' && node.op !== 'binaryCrossEntropy')) return false;
  if (root.watchesGradient) return false; // its hooks must see the implied 1
  const input = node.inputs[0]!;
  if (root.shape.length !== 0 || !input.requiresGrad || input.version !== node.inputVersions[0]) return false;
  const grad = (node.attrs as { grad: Tensor }).grad;
  if (grad.dtype !== root.dtype || !root.releaseConstant(grad)) return false;
  // Owned from here by the enclosing scope, as a gradient a rule made would be.
  trackTensor(grad);
  input[PENDING_GRAD] = grad;
  return true;
}

/**
 * Internal (checkpoint's recomputation, inside another pass's rule): the gradients of `sinks`
 * from `roots` seeded with `seeds`, over the part of the graph made at or after tensor id
 * `from`. Its own bookkeeping (no PENDING_GRAD / VISITED_IN slots, which the enclosing pass
 * uses), no `.grad` written, no hooks run on the sinks and no graph released: the caller hands
 * the sinks' gradients to the enclosing pass, which does all that once.
 */
export function gradientsOf(
  roots: readonly Tensor[],
  seeds: readonly Tensor[],
  sinks: readonly Tensor[],
  from: number,
): (Tensor | null)[] {
  const isSink = new Set(sinks);
  const inside = (t: Tensor) => t.requiresGrad && t.id >= from && !isSink.has(t) && t.gradNode !== null;
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const admit = (t: Tensor): boolean => {
    if (!inside(t) || seen.has(t)) return false;
    seen.add(t);
    return true;
  };
  for (const root of roots) if (admit(root)) depthFirst(root, admit, order);
  const pending = new Map<Tensor, Tensor>();
  const add = (t: Tensor, g: Tensor) => {
    const previous = pending.get(t);
    pending.set(t, previous === undefined ? g : accumulate(previous, g));
  };
  return noGrad(() => {
    roots.forEach((root, i) => {
      const seed = seeds[i]!;
      // an alias or a cast: this pass may dispose what it adds up, never the caller's tensor
      add(root, seed.dtype === root.dtype ? seed.detach() : seed.cast(root.dtype));
    });
    for (let i = order.length - 1; i >= 0; i--) {
      const tensor = order[i]!;
      let grad = pending.get(tensor);
      if (grad === undefined) continue;
      pending.delete(tensor);
      if (tensor.watchesGradient) grad = tensor.applyGradientHooks(grad);
      const flowing = runRule(tensor.gradNode!, grad, tensor);
      for (let j = 0; j < flowing.length; j += 2) {
        const input = flowing[j]!;
        const value = flowing[j + 1]!;
        if (isSink.has(input) || inside(input)) add(input, value);
        else value.dispose(); // an outer tensor the recorded run did not report: nothing to reach
      }
    }
    const result = sinks.map((sink) => pending.get(sink) ?? null);
    for (const [t, g] of pending) if (!isSink.has(t)) g.dispose();
    return result;
  });
}

/** Tensors reachable from `root` through recorded nodes, inputs before the ops using them. */
let passes = 0;

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  // A tensor was visited in this pass when its VISITED_IN slot holds this pass's number.
  const pass = ++passes;
  root[VISITED_IN] = pass;
  depthFirst(
    root,
    (input) => {
      if (!input.requiresGrad || input[VISITED_IN] === pass) return false;
      input[VISITED_IN] = pass;
      return true;
    },
    order,
  );
  return order;
}

/**
 * Appends to `order` the tensors reachable from `root` (already admitted) through recorded nodes
 * whose inputs `admit` lets in (asked once per edge; it marks what it admits), inputs before the
 * ops using them. Two parallel stacks (tensor, next input to visit): no tuple per visited tensor.
 */
function depthFirst(root: Tensor, admit: (input: Tensor) => boolean, order: Tensor[]): void {
  const tensors: Tensor[] = [root];
  const next: number[] = [0];
  while (tensors.length > 0) {
    const top = tensors.length - 1;
    const tensor = tensors[top]!;
    const inputs = tensor.gradNode?.inputs;
    const at = next[top]!;
    if (inputs !== undefined && at < inputs.length) {
      next[top] = at + 1;
      const input = inputs[at]!;
      if (admit(input)) {
        tensors.push(input);
        next.push(0);
      }
    } else {
      order.push(tensor);
      tensors.pop();
      next.pop();
    }
  }
}

/**
 * Runs one rule; returns each (input, gradient) pair that needs accumulating, each gradient
 * owned, flat: [input, gradient, input, gradient, ...] (no tuple per pair).
 */
function runRule(node: GradNode, grad: Tensor, output: Tensor): Tensor[] {
  const inputs = node.inputs;
  const n = inputs.length;
  const needs = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const input = inputs[i]!;
    if (input.version !== node.inputVersions[i]) {
      throw new ArgumentError(
        `backward: input ${i} of '${node.op}' (shape ${formatShape(input.shape)}) was modified in place by assign() after the op used it; compute the loss again after updating`,
      );
    }
    needs[i] = input.requiresGrad;
  }
  const rule = gradientRules[node.op] as GradRule;
  const results = tidy(() => rule(grad, node, output, needs));
  const owned: Tensor[] = [];
  let gradTaken = false;
  for (let i = 0; i < results.length; i++) {
    const value = results[i];
    // Rules return at most a few gradients: an earlier slot is found by a short scan, not a set.
    const seen = value !== null && value !== undefined && results.indexOf(value) < i;
    if (value === null || value === undefined || !needs[i]) {
      if (value && value !== grad && !seen) value.dispose();
      continue;
    }
    // A rule may pass its incoming gradient straight through, even to two inputs: the first
    // use takes it, later uses get copies, so every pending gradient has exactly one owner.
    let unique = value;
    if (value === grad) {
      if (gradTaken) unique = value.detach();
      gradTaken = true;
    } else if (seen) {
      unique = value.detach();
    }
    owned.push(inputs[i]!, unique);
  }
  if (!gradTaken) grad.dispose();
  return owned;
}

function accumulate(previous: Tensor, addition: Tensor): Tensor {
  const sum = previous.add(addition);
  previous.dispose();
  addition.dispose();
  return sum;
}
