// Softmax cross-entropy on class indices as WGSL programs run by tfjs-backend-webgpu: three
// dispatches (each row's logsumexp, the gradient, each row's loss) and tfjs's sum for a reduced
// loss, where the composed path (logSoftmax, a one-hot by comparison, products and sums, then
// its backward) records over twenty. tfjs programs have one output each, so the logsumexp is
// written once and read by the other two.
//   lse[r]  = max_c x[r, c] + log(sum_c exp(x[r, c] - max))
//   loss[r] = lse[r] - x[r, label[r]]
//   grad    = (exp(x - lse[r]) - onehot(label[r])) * scale      (scale 1 / rows for 'mean')
// A label outside 0..classes-1 (nothing checks labels on the device before this) selects no
// class, as in core's composed one-hot: its row's loss and gradient are 0. Nothing is read out
// of bounds.
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

/** Each row's loss, (lse - x[label]) * scale; 0 for a label out of range. */
function lossProgram(rows: number): WebGpuProgram {
  return flatProgram(
    'myelin_softmax_xent_loss',
    ['X', 'LSE', 'LABELS'],
    [rows],
    'classes : i32, scale : f32,',
    `
      fn main(row : i32) {
        if (row < uniforms.size) {
          let label = LABELS[row];
          var loss = 0.0;
          if (label >= 0 && label < uniforms.classes) {
            loss = (LSE[row] - X[row * uniforms.classes + label]) * uniforms.scale;
          }
          setOutputAtIndex(row, loss);
        }
      }
    `,
  );
}

/** The gradient of the losses, one thread per logit: softmax - onehot, times scale. */
function gradientProgram(rows: number, classes: number): WebGpuProgram {
  return flatProgram(
    'myelin_softmax_xent_grad',
    ['X', 'LSE', 'LABELS'],
    [rows, classes],
    'classes : i32, scale : f32,',
    `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let row = index / uniforms.classes;
          let label = LABELS[row];
          var g = 0.0;
          if (label >= 0 && label < uniforms.classes) {
            g = exp(X[index] - LSE[row]);
            if (index - row * uniforms.classes == label) {
              g = g - 1.0;
            }
            g = g * uniforms.scale;
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
 * once the others are made), the per-row losses times `lossScale` (1 / rows for a mean, whose
 * sum the caller takes) and, when asked, the gradient times `gradientScale`.
 */
export function runSoftmaxCrossEntropyShaders(
  runner: WebGpuProgramRunner,
  logits: unknown,
  labels: unknown,
  rows: number,
  classes: number,
  lossScale: number,
  gradientScale: number | null,
): { lse: unknown; loss: unknown; grad: unknown } {
  const classesUniform = { type: 'int32' as const, data: [classes] };
  const lse = runner.runWebGPUProgram(logSumExpProgram(rows), [logits], 'float32', [classesUniform]);
  const loss = runner.runWebGPUProgram(lossProgram(rows), [logits, lse, labels], 'float32', [
    classesUniform,
    { type: 'float32', data: [lossScale] },
  ]);
  const grad =
    gradientScale === null
      ? null
      : runner.runWebGPUProgram(gradientProgram(rows, classes), [logits, lse, labels], 'float32', [
          classesUniform,
          { type: 'float32', data: [gradientScale] },
        ]);
  return { lse, loss, grad };
}
