import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { matmul } from './linalg.js';
import { diagonal } from './matrix-utils.js';
import { mul } from './elementwise.js';
import { permute, reshape } from './movement.js';
import { sum } from './reduce.js';

/*
 * torch.einsum: operands are contracted left to right, as PyTorch does without opt_einsum. A label
 * repeated within one operand takes its diagonal; labels used by no later operand and not in the
 * output are summed out as early as possible; each pairwise contraction is one batched matmul.
 */

/** A label: a letter, or `...k` for the k-th axis (from the right) that an ellipsis covers. */
type Label = string;

interface Term {
  tensor: Tensor;
  labels: Label[];
}

const LETTER = /^[a-zA-Z]$/;

/** The labels of one side of the equation, the ellipsis expanded to `rank - letters` axes. */
function parseTerm(
  equation: string,
  term: string,
  rank: number | null,
  where: string,
): { labels: Label[]; ellipsis: number } {
  const dots = term.indexOf('...');
  if (dots >= 0 && term.indexOf('...', dots + 1) >= 0)
    throw new ArgumentError(`einsum '${equation}': ${where} has more than one ellipsis ('${term}')`);
  const letters = term.replace('...', '');
  for (const c of letters)
    if (!LETTER.test(c))
      throw new ArgumentError(`einsum '${equation}': ${where} has '${c}'; labels are letters a-z and A-Z, and '...'`);
  if (rank === null) return { labels: [...term.replace('...', '.')], ellipsis: dots >= 0 ? -1 : 0 };
  const covered = rank - letters.length;
  if (covered < 0 || (dots < 0 && covered !== 0))
    throw new ShapeError(
      `einsum '${equation}': ${where} '${term}' has ${letters.length} labels${dots >= 0 ? ' and an ellipsis' : ''}, but the operand has rank ${rank}`,
    );
  if (dots < 0) return { labels: [...letters], ellipsis: 0 };
  const ellipsisLabels = Array.from({ length: covered }, (_, k) => `...${covered - 1 - k}`);
  return { labels: [...term.slice(0, dots), ...ellipsisLabels, ...term.slice(dots + 3)], ellipsis: covered };
}

/** An operand with each label once: a repeated label becomes the diagonal of its axes. */
function takeDiagonals(term: Term): Term {
  let { tensor, labels } = term;
  for (;;) {
    const repeated = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (repeated < 0) return { tensor, labels };
    const first = labels.indexOf(labels[repeated]!);
    tensor = diagonal(tensor, 0, first, repeated);
    labels = [...labels.filter((_, i) => i !== first && i !== repeated), labels[repeated]!];
  }
}

/** Sums out the labels of `term` in `drop`. */
function sumOut(term: Term, drop: (label: Label) => boolean): Term {
  const axes = term.labels.flatMap((l, i) => (drop(l) ? [i] : []));
  if (axes.length === 0) return term;
  return { tensor: sum(term.tensor, axes), labels: term.labels.filter((l) => !drop(l)) };
}

/** Drops an axis of size 1 that the other operand has larger: it broadcasts, so it is that operand's alone. */
function squeezeBroadcast(term: Term, other: Term): Term {
  const keep = term.labels.map((l, i) => {
    const j = other.labels.indexOf(l);
    return !(term.tensor.shape[i] === 1 && j >= 0 && other.tensor.shape[j] !== 1);
  });
  if (keep.every(Boolean)) return term;
  return {
    tensor: reshape(
      term.tensor,
      term.tensor.shape.filter((_, i) => keep[i]),
    ),
    labels: term.labels.filter((_, i) => keep[i]),
  };
}

/** a and b contracted over their shared labels not in `kept`, as one batched matmul. */
function contract(equation: string, first: Term, second: Term, kept: Set<Label>): Term {
  // Labels that only one side has and nothing later needs are summed before the product.
  let a = squeezeBroadcast(first, second);
  let b = squeezeBroadcast(second, a);
  a = sumOut(a, (l) => !kept.has(l) && !b.labels.includes(l));
  b = sumOut(b, (l) => !kept.has(l) && !a.labels.includes(l));
  const sizeOf = (t: Term, l: Label): number => t.tensor.shape[t.labels.indexOf(l)]!;
  const shared = a.labels.filter((l) => b.labels.includes(l));
  for (const l of shared)
    if (sizeOf(a, l) !== sizeOf(b, l))
      throw new ShapeError(
        `einsum '${equation}': label '${l}' has size ${sizeOf(a, l)} in one operand and ${sizeOf(b, l)} in another (shapes ${formatShape(a.tensor.shape)} and ${formatShape(b.tensor.shape)})`,
      );
  const batch = shared.filter((l) => kept.has(l));
  const summed = shared.filter((l) => !kept.has(l));
  const left = a.labels.filter((l) => !shared.includes(l));
  const right = b.labels.filter((l) => !shared.includes(l));
  const product = (t: Term, ls: Label[]): number => ls.reduce((n, l) => n * sizeOf(t, l), 1);
  const arrange = (t: Term, order: Label[], shape: number[]): Tensor =>
    reshape(
      permute(
        t.tensor,
        order.map((l) => t.labels.indexOf(l)),
      ),
      shape,
    );
  const batchSize = product(a, batch);
  const lhs = arrange(a, [...batch, ...left, ...summed], [batchSize, product(a, left), product(a, summed)]);
  const rhs = arrange(b, [...batch, ...summed, ...right], [batchSize, product(b, summed), product(b, right)]);
  const labels = [...batch, ...left, ...right];
  const shape = [
    ...batch.map((l) => sizeOf(a, l)),
    ...left.map((l) => sizeOf(a, l)),
    ...right.map((l) => sizeOf(b, l)),
  ];
  // Integer operands have no matmul kernel: the same contraction as a broadcast product and a sum.
  const contracted = isFloat(lhs.dtype)
    ? matmul(lhs, rhs)
    : sum(mul(reshape(lhs, [...lhs.shape, 1]), reshape(rhs, [batchSize, 1, ...rhs.shape.slice(1)])), 2);
  return { tensor: reshape(contracted, shape), labels };
}

/**
 * torch.einsum: `einsum('bij,bjk->bik', a, b)`. Implicit output (no '->'): the ellipsis axes,
 * then the labels used once, in alphabetical order (capitals first). '...' broadcasts like NumPy;
 * a repeated label within one operand takes a diagonal. Float contractions are matmuls; int32
 * ones a product and a sum.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string')
    throw new ArgumentError(`einsum: the equation must be a string, got ${String(equation)}`);
  const compact = equation.replace(/\s+/g, '');
  const arrow = compact.indexOf('->');
  const inputSide = arrow >= 0 ? compact.slice(0, arrow) : compact;
  const terms = inputSide.split(',');
  if (terms.length !== operands.length)
    throw new ArgumentError(
      `einsum '${equation}': the equation has ${terms.length} operand${terms.length === 1 ? '' : 's'}, but ${operands.length} tensor${operands.length === 1 ? ' was' : 's were'} given`,
    );
  operands.forEach((t, i) => {
    if (t.dtype === 'bool')
      throw new DTypeError(`einsum '${equation}': operand ${i} is bool; einsum takes numeric tensors (cast it first)`);
    if (t.dtype !== operands[0]!.dtype)
      throw new DTypeError(`einsum '${equation}': operand ${i} is ${t.dtype}, operand 0 is ${operands[0]!.dtype}`);
  });
  const parsed = terms.map((term, i) => parseTerm(equation, term, operands[i]!.rank, `operand ${i}`));
  const ellipsisRank = Math.max(0, ...parsed.map((p) => p.ellipsis));
  const anyEllipsis = terms.some((t) => t.includes('...'));
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, k) => `...${ellipsisRank - 1 - k}`);

  let output: Label[];
  if (arrow >= 0) {
    const side = compact.slice(arrow + 2);
    const { labels } = parseTerm(equation, side, null, 'the output');
    output = labels.flatMap((l) => (l === '.' ? ellipsisLabels : [l]));
    const letters = output.filter((l) => LETTER.test(l));
    letters.forEach((l, i) => {
      if (letters.indexOf(l) !== i) throw new ArgumentError(`einsum '${equation}': output label '${l}' appears twice`);
      if (!parsed.some((p) => p.labels.includes(l)))
        throw new ArgumentError(`einsum '${equation}': output label '${l}' appears in no operand`);
    });
  } else {
    const counts = new Map<Label, number>();
    for (const p of parsed) for (const l of p.labels) if (LETTER.test(l)) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l);
    output = [...(anyEllipsis ? ellipsisLabels : []), ...once.sort()];
  }

  // Ellipsis axes of size 1 broadcast against larger ones of another operand; any other mismatch is an error.
  const sizes = new Map<Label, number>();
  parsed.forEach((p, i) =>
    p.labels.forEach((l, axis) => {
      const size = operands[i]!.shape[axis]!;
      const first = p.labels.indexOf(l);
      if (first !== axis && operands[i]!.shape[first] !== size)
        throw new ShapeError(
          `einsum '${equation}': label '${l}' repeats in operand ${i} over axes of sizes ${operands[i]!.shape[first]} and ${size} (shape ${formatShape(operands[i]!.shape)})`,
        );
      const seen = sizes.get(l);
      if (seen !== undefined && seen !== size && seen !== 1 && size !== 1)
        throw new ShapeError(
          `einsum '${equation}': label '${l.startsWith('...') ? '...' : l}' has size ${seen} in an earlier operand and ${size} in operand ${i} (shape ${formatShape(operands[i]!.shape)})`,
        );
      if (seen === undefined || seen === 1) sizes.set(l, size);
    }),
  );

  return composite(() => {
    let result: Term | null = null;
    for (let i = 0; i < parsed.length; i++) {
      const keep = new Set([...output, ...parsed.slice(i + 1).flatMap((p) => p.labels)]);
      const term = takeDiagonals({ tensor: operands[i]!, labels: parsed[i]!.labels });
      result = result === null ? sumOut(term, (l) => !keep.has(l)) : contract(equation, result, term, keep);
    }
    const final = sumOut(result!, (l) => !output.includes(l));
    const order = output.map((l) => final.labels.indexOf(l));
    if (order.some((at) => at < 0))
      throw new ShapeError(`einsum '${equation}': an output axis has no operand axis to come from`);
    return order.every((at, i) => at === i) ? reshape(final.tensor, final.tensor.shape) : permute(final.tensor, order);
  });
}
