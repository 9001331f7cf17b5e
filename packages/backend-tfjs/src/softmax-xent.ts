// Softmax cross-entropy on class indices (the contract's fused softmaxCrossEntropy) as tfjs ops
// inside the caller's tf.tidy: what core composes from a dozen Myelin ops forward and as many
// back, each a tracked tfjs tensor of its own, here in one call that also returns the gradient.
// Written as core's composed path is: a row labelled ignoreIndex, or with a label out of range,
// selects no class (its loss and gradient are 0); a mean divides by the rows not labelled
// ignoreIndex.
import { requireDType, type KernelContext, type Tensor } from './context.js';

export function softmaxCrossEntropy(
  ctx: KernelContext,
  logits: Tensor,
  labels: Tensor,
  reduction: 'none' | 'sum' | 'mean',
  withGrad: boolean,
  ignoreIndex: number,
): { loss: Tensor; grad: Tensor | null } {
  const { tf } = ctx;
  requireDType(ctx, 'softmaxCrossEntropy', logits, ['float32']);
  requireDType(ctx, 'softmaxCrossEntropy', labels, ['int32']);
  const [rows = 0, classes = 0] = logits.shape;
  if (rows === 0 || classes === 0) {
    // No element (tfjs-backend-webgpu's ops fail on empty inputs): each row's loss is 0 (no class
    // to select) and a mean of no rows 0 / 0, as composed.
    const perRow = tf.zeros([rows]);
    const loss = reduction === 'none' ? perRow : tf.fill([], reduction === 'mean' && rows === 0 ? NaN : 0);
    return { loss, grad: withGrad ? tf.zeros([rows, classes]) : null };
  }
  // One-hot by comparison, as core composes it (tfjs-backend-wasm's OneHot ignores a float32
  // dtype and writes int32 data under it); an ignored row's label becomes -1, no class.
  const kept = tf.notEqual(labels, tf.scalar(ignoreIndex, 'int32'));
  const indices = tf.where(kept, labels, tf.fill([rows], -1, 'int32'));
  const matches = tf.equal(tf.expandDims(indices, 1), tf.range(0, classes, 1, 'int32'));
  const selected = tf.cast(matches, 'float32');
  const logProbabilities = tf.logSoftmax(logits, 1);
  // Picked with a select: another class's logit of -Infinity gives a log-probability of
  // -Infinity, and -Infinity * 0 would make the row's loss NaN.
  const perRow = tf.neg(tf.sum(tf.where(matches, logProbabilities, tf.zerosLike(logProbabilities)), 1));
  const count = reduction === 'mean' ? tf.sum(tf.cast(kept, 'float32')) : null;
  const loss = count !== null ? tf.div(tf.sum(perRow), count) : reduction === 'sum' ? tf.sum(perRow) : perRow;
  if (!withGrad) return { loss, grad: null };
  // d loss_r / d logits_r = softmax_r * (1 if a class was selected, else 0) - onehot_r.
  const anySelected = tf.sum(selected, 1, true);
  let grad = tf.sub(tf.mul(tf.exp(logProbabilities), anySelected), selected);
  // Nothing kept: every row of the gradient is 0 already, and 0 / 0 would make it NaN.
  if (count !== null) grad = tf.div(grad, tf.maximum(count, 1));
  return { loss, grad };
}
