// Softmax cross-entropy on class indices as WGSL programs run by tfjs-backend-webgpu: three
// dispatches (each row's logsumexp, the gradient, each row's loss), one more for a mean (the
// count of rows not labelled ignoreIndex) and tfjs's sum for a reduced loss, where the composed
// path (logSoftmax, a one-hot by comparison, products and sums, then its backward) records over
// twenty. tfjs programs have one output each, so the logsumexp is written once and read by the
// other two.
//   lse[r]  = max_c x[r, c] + log(sum_c exp(x[r, c] - max))
//   loss[r] = lse[r] - x[r, label[r]]
//   grad    = (exp(x - lse[r]) - onehot(label[r])) * scale      (scale 1 / kept for 'mean')
// A row labelled ignoreIndex has loss and gradient 0 and is not counted in kept; a label outside
// 0..classes-1 (nothing checks labels on the device before this) selects no class, as in core's
// composed one-hot: its row's loss and gradient are 0 too. Nothing is read out of bounds.
import { flatProgram, type WebGpuProgram, type WebGpuProgramRunner } from './webgpu-program.js';

const ROW_UNIFORMS = 'classes : i32,';

/** Each row's logsumexp, one thread per row (the max first, so exp never overflows). */
function logSumExpProgram(rows: number): WebGpuProgram {
  return flatProgram(
    'myelin_softmax_xent_lse',
    ['X'],
    [rows],
    ROW_UNIFORMS,
    `
      fn main(row : i32) {
        if (row < uniforms.size) {
          let base = row * uniforms.classes;
          var top = X[base];
          for (var c = 1; c < uniforms.classes; c = c + 1) {
            top = max(top, X[base + c]);
          }
          var total = 0.0;
          for (var c = 0; c < uniforms.classes; c = c + 1) {
            total = total + exp(X[base + c] - top);
          }
          setOutputAtIndex(row, top + log(total));
        }
      }
    `,
  );
}

/** The number of labels other than ignoreIndex, as a float (one thread: a batch's labels). */
function keptProgram(): WebGpuProgram {
  return flatProgram(
    'myelin_softmax_xent_kept',
    ['LABELS'],
    [1],
    'rows : i32, ignore : i32,',
    `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var kept = 0.0;
          for (var r = 0; r < uniforms.rows; r = r + 1) {
            if (LABELS[r] != uniforms.ignore) {
              kept = kept + 1.0;
            }
          }
          setOutputAtIndex(index, kept);
        }
      }
    `,
  );
}

/** Each row's loss, lse - x[label]; 0 for a row labelled ignoreIndex or a label out of range. */
function lossProgram(rows: number): WebGpuProgram {
  return flatProgram(
    'myelin_softmax_xent_loss',
    ['X', 'LSE', 'LABELS'],
    [rows],
    'classes : i32, ignore : i32,',
    `
      fn main(row : i32) {
        if (row < uniforms.size) {
          let label = LABELS[row];
          var loss = 0.0;
          if (label != uniforms.ignore && label >= 0 && label < uniforms.classes) {
            loss = LSE[row] - X[row * uniforms.classes + label];
          }
          setOutputAtIndex(row, loss);
        }
      }
    `,
  );
}

/**
 * The gradient of the losses, one thread per logit: softmax - onehot, divided by KEPT[0] for a
 * mean (KEPT >= 1 wherever a row is kept, so never by 0).
 */
function gradientProgram(rows: number, classes: number, mean: boolean): WebGpuProgram {
  return flatProgram(
    mean ? 'myelin_softmax_xent_grad_mean' : 'myelin_softmax_xent_grad',
    mean ? ['X', 'LSE', 'LABELS', 'KEPT'] : ['X', 'LSE', 'LABELS'],
    [rows, classes],
    'classes : i32, ignore : i32,',
    `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let row = index / uniforms.classes;
          let label = LABELS[row];
          var g = 0.0;
          if (label != uniforms.ignore && label >= 0 && label < uniforms.classes) {
            g = exp(X[index] - LSE[row]);
            if (index - row * uniforms.classes == label) {
              g = g - 1.0;
            }
            ${mean ? 'g = g / KEPT[0];' : ''}
          }
          setOutputAtIndex(index, g);
        }
      }
    `,
  );
}

/**
 * Runs the programs for float32 `logits` [rows, classes] (rows, classes >= 1) and int32 `labels`
 * [rows] (tfjs tensors). Returns tfjs TensorInfos the caller wraps and tracks: `lse` (to release
 * once the others are made), the per-row losses, `kept` for a mean (the number of rows not
 * labelled `ignoreIndex`, [1] float32: the caller divides the losses' sum by it) or null, and,
 * when asked, the gradient (divided by kept for a mean).
 */
export function runSoftmaxCrossEntropyShaders(
  runner: WebGpuProgramRunner,
  logits: unknown,
  labels: unknown,
  rows: number,
  classes: number,
  ignoreIndex: number,
  mean: boolean,
  withGrad: boolean,
): { lse: unknown; loss: unknown; kept: unknown; grad: unknown } {
  const uniforms = [
    { type: 'int32' as const, data: [classes] },
    { type: 'int32' as const, data: [ignoreIndex] },
  ];
  const lse = runner.runWebGPUProgram(logSumExpProgram(rows), [logits], 'float32', [uniforms[0]!]);
  const kept = mean
    ? runner.runWebGPUProgram(keptProgram(), [labels], 'float32', [
        { type: 'int32', data: [rows] },
        { type: 'int32', data: [ignoreIndex] },
      ])
    : null;
  const loss = runner.runWebGPUProgram(lossProgram(rows), [logits, lse, labels], 'float32', uniforms);
  const grad = withGrad
    ? runner.runWebGPUProgram(
        gradientProgram(rows, classes, mean),
        kept === null ? [logits, lse, labels] : [logits, lse, labels, kept],
        'float32',
        uniforms,
      )
    : null;
  return { lse, loss, kept, grad };
}
