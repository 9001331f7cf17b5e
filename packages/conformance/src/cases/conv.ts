import {
  adaptiveAvgPool3d,
  adaptiveMaxPool2d,
  adaptiveMaxPool3d,
  avgPool3d,
  conv3d,
  convTranspose3d,
  maxPool3d,
  maxPool1dWithIndices,
  maxPool2dWithIndices,
  maxPool3dWithIndices,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  batchNorm,
  concat,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  embedding,
  embeddingBag,
  flatten,
  fold,
  groupNorm,
  instanceNorm,
  interpolate,
  layerNorm,
  maxPool1d,
  maxPool2d,
  pixelShuffle,
  pixelUnshuffle,
  tensor,
  unfold,
} from '@myelin/core';
import type { OpCase } from './types.js';

// The windowed gather (unfold, contract v3) and what core builds from it: convolution = unfold +
// matmul, pooling = unfold + a reduction, unfold's gradient = fold = scatterAdd + slice. Shapes are
// small so that finite differences over every input element stay fast.

const unfoldCases: OpCase[] = [
  { name: 'unfold 3x3 [1,2,5,5]', covers: ['unfold'], inputs: [{ shape: [1, 2, 5, 5] }], run: ([x]) => unfold(x!, 3) },
  {
    name: 'unfold 2x3 stride 2 padding 1 dilation [2,1] [2,2,6,7]',
    covers: ['unfold', 'scatterAdd', 'slice'],
    inputs: [{ shape: [2, 2, 6, 7] }],
    run: ([x]) => unfold(x!, [2, 3], { stride: 2, padding: 1, dilation: [2, 1] }),
  },
  {
    name: 'unfold 1x1 stride [1,3] (a strided gather)',
    covers: ['unfold'],
    inputs: [{ shape: [2, 3, 4, 7] }],
    run: ([x]) => unfold(x!, 1, { stride: [1, 3] }),
  },
  {
    name: 'unfold window larger than the image with padding 2',
    covers: ['unfold'],
    inputs: [{ shape: [1, 1, 2, 3] }],
    run: ([x]) => unfold(x!, [4, 5], { padding: 2, stride: [3, 1] }),
  },
  {
    name: 'fold of unfold counts overlaps',
    covers: ['unfold', 'scatterAdd', 'slice'],
    inputs: [{ shape: [1, 2, 4, 5] }],
    run: ([x]) => fold(unfold(x!, 3, { padding: 1 }), [4, 5], 3, { padding: 1 }),
  },
  {
    name: 'unfold of an empty batch',
    covers: ['unfold'],
    inputs: [{ shape: [0, 2, 3, 3] }],
    run: ([x]) => unfold(x!, 2),
    grad: false,
  },
];

const convCases: OpCase[] = [
  {
    name: 'conv2d 3x3 padding 1 with bias',
    covers: ['unfold', 'matmul', 'add'],
    inputs: [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
    run: ([x, w, b]) => conv2d(x!, w!, b!, { padding: 1 }),
  },
  {
    name: 'conv2d stride 2 dilation 2 groups 2',
    covers: ['unfold', 'matmul'],
    inputs: [{ shape: [1, 4, 7, 6] }, { shape: [6, 2, 2, 3] }],
    run: ([x, w]) => conv2d(x!, w!, null, { stride: 2, dilation: 2, groups: 2, padding: [1, 0] }),
  },
  {
    name: "conv2d padding 'same' with an even kernel",
    covers: ['unfold', 'matmul', 'pad'],
    inputs: [{ shape: [1, 2, 4, 5] }, { shape: [3, 2, 2, 4] }],
    run: ([x, w]) => conv2d(x!, w!, null, { padding: 'same' }),
  },
  {
    // Nothing to sum over: the weight and bias gradients are zeros (outputs a backend must clear,
    // not leave as whatever memory it was given).
    name: 'conv2d of an empty batch, with gradients',
    covers: ['unfold', 'matmul', 'add'],
    inputs: [{ shape: [0, 2, 4, 4] }, { shape: [3, 2, 3, 3] }, { shape: [3] }],
    run: ([x, w, b]) => conv2d(x!, w!, b!, { padding: 1 }),
  },
  {
    // Columns by one grouped matmul, fold (scatterAdd) into the uncropped image, then pad and
    // slice: outputPadding 1 reaches past the crop, so both run.
    name: 'convTranspose2d stride 2 padding 1 outputPadding 1 dilation 2 groups 2 with bias',
    covers: ['matmul', 'scatterAdd', 'pad', 'slice', 'add'],
    inputs: [{ shape: [1, 4, 3, 2] }, { shape: [4, 1, 3, 2] }, { shape: [2] }],
    run: ([x, w, b]) =>
      convTranspose2d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1, dilation: 2, groups: 2 }),
  },
  {
    name: 'maxPool2d 2x2',
    covers: ['unfold', 'max'],
    inputs: [{ shape: [2, 2, 4, 6] }],
    run: ([x]) => maxPool2d(x!, 2),
  },
  {
    name: 'maxPool2d 3x3 stride 2 padding 1',
    covers: ['unfold', 'max', 'pad'],
    inputs: [{ shape: [1, 2, 5, 6] }],
    run: ([x]) => maxPool2d(x!, 3, { stride: 2, padding: 1 }),
  },
  {
    name: 'avgPool2d 3x3 stride 2 padding 1 (countIncludePad false)',
    covers: ['unfold', 'sum', 'div'],
    inputs: [{ shape: [1, 2, 5, 6] }],
    run: ([x]) => avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false }),
  },
  {
    name: 'adaptiveAvgPool2d 5x7 -> 3x2',
    covers: ['matmul'],
    inputs: [{ shape: [2, 2, 5, 7] }],
    run: ([x]) => adaptiveAvgPool2d(x!, [3, 2]),
  },
  // The 1-D family is the 2-D ops on [N, C, 1, L] (a kernel one row high): these check that each
  // backend's conv and pooling kernels, fused or composed, take that shape, with its gradients.
  {
    name: "conv1d padding 'same' with an even kernel, dilation 2, groups 2 and bias",
    covers: ['unfold', 'matmul', 'pad', 'add', 'reshape'],
    inputs: [{ shape: [2, 4, 7] }, { shape: [6, 2, 4] }, { shape: [6] }],
    run: ([x, w, b]) => conv1d(x!, w!, b!, { padding: 'same', dilation: 2, groups: 2 }),
  },
  {
    name: 'convTranspose1d stride 2 padding 1 outputPadding 1 with bias, unbatched',
    covers: ['matmul', 'scatterAdd', 'pad', 'slice', 'add', 'reshape'],
    inputs: [{ shape: [3, 4] }, { shape: [3, 2, 3] }, { shape: [2] }],
    run: ([x, w, b]) => convTranspose1d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1 }),
  },
  {
    name: 'maxPool1d 3 stride 2 padding 1 dilation 2',
    covers: ['unfold', 'max', 'pad', 'reshape'],
    inputs: [{ shape: [2, 3, 9] }],
    run: ([x]) => maxPool1d(x!, 3, { stride: 2, padding: 1, dilation: 2 }),
  },
  {
    name: 'avgPool1d 3 stride 2 padding 1 (countIncludePad false), then adaptiveAvgPool1d 5 -> 3',
    covers: ['unfold', 'sum', 'div', 'matmul', 'reshape'],
    inputs: [{ shape: [2, 2, 9] }],
    run: ([x]) => adaptiveAvgPool1d(avgPool1d(x!, 3, { stride: 2, padding: 1, countIncludePad: false }), 3),
  },
  {
    name: 'batchNorm training [3,2,2,2]',
    covers: ['sum', 'sub', 'mul', 'div', 'sqrt'],
    inputs: [{ shape: [3, 2, 2, 2] }, { shape: [2] }, { shape: [2] }],
    run: ([x, w, b]) => batchNorm(x!, { weight: w!, bias: b!, training: true }),
  },
  {
    name: 'layerNorm over the last two axes',
    covers: ['sum', 'sub', 'mul', 'div', 'sqrt'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
    run: ([x, w, b]) => layerNorm(x!, [3, 4], w!, b!),
  },
  {
    name: 'groupNorm 2 groups over [2,4,3] with weight and bias',
    covers: ['sum', 'sub', 'mul', 'div', 'sqrt'],
    inputs: [{ shape: [2, 4, 3] }, { shape: [4] }, { shape: [4] }],
    run: ([x, w, b]) => groupNorm(x!, 2, w!, b!),
  },
  {
    name: 'embedding with repeated indices',
    covers: ['gather'],
    inputs: [{ shape: [5, 3] }],
    run: ([w], backend) =>
      embedding(
        tensor(
          [
            [4, 0],
            [4, 2],
          ],
          { dtype: 'int32', backend },
        ),
        w!,
      ),
  },
  ...(['sum', 'mean', 'max'] as const).map((mode): OpCase => ({
    name: `embeddingBag ${mode} with an empty bag and a padding id`,
    covers: ['gather', 'notEqual', 'where', 'cast', 'mul', 'scatterAdd', 'slice', 'maximum', 'div', 'max', 'sum'],
    inputs: [{ shape: [6, 3] }],
    run: ([w], backend) =>
      embeddingBag(tensor([4, 0, 2, 2, 5, 3, 1], { dtype: 'int32', backend }), w!, {
        offsets: [0, 3, 3, 5],
        mode,
        paddingIdx: 2,
      }),
  })),
  {
    name: 'embeddingBag sum of a 2-D input with per-sample weights',
    covers: ['gather', 'cast', 'mul', 'scatterAdd', 'slice'],
    inputs: [{ shape: [5, 2] }, { shape: [2, 3] }],
    run: ([w, perSample], backend) =>
      embeddingBag(
        tensor(
          [
            [1, 4, 0],
            [3, 3, 2],
          ],
          { dtype: 'int32', backend },
        ),
        w!,
        { mode: 'sum', perSampleWeights: perSample! },
      ),
  },
];

// The image layers after Conv2d/MaxPool2d, composed in core from gathers with host-made indices
// (interpolation, padding modes, adaptive max pooling), a rank-5 permute (pixel shuffles), padding
// past the end (ceil mode) and reductions (instance norm): every backend's gather, its scatterAdd
// gradient and its fused pooling kernels on these shapes.
const imageCases: OpCase[] = [
  {
    name: 'interpolate bilinear 3x4 -> 5x7, then nearest by 1.5',
    covers: ['gather', 'mul', 'add', 'scatterAdd'],
    inputs: [{ shape: [1, 2, 3, 4] }],
    run: ([x]) => interpolate(interpolate(x!, { size: [5, 7], mode: 'bilinear' }), { scaleFactor: 1.5 }),
  },
  {
    name: 'interpolate linear with alignCorners, downsampling',
    covers: ['gather', 'mul', 'add', 'scatterAdd'],
    inputs: [{ shape: [2, 2, 7] }],
    run: ([x]) => interpolate(x!, { size: 4, mode: 'linear', alignCorners: true }),
  },
  {
    name: 'interpolate bicubic 3x4 -> 5x7 (border taps clamped), then with alignCorners -> 4x3',
    covers: ['gather', 'mul', 'add', 'reshape'],
    inputs: [{ shape: [1, 2, 3, 4] }],
    run: ([x]) =>
      interpolate(interpolate(x!, { size: [5, 7], mode: 'bicubic' }), {
        size: [4, 3],
        mode: 'bicubic',
        alignCorners: true,
      }),
  },
  {
    name: 'interpolate trilinear 2x3x2 -> 3x4x4, then nearest-exact by 0.6',
    covers: ['gather', 'mul', 'add', 'reshape'],
    inputs: [{ shape: [1, 2, 2, 3, 2] }],
    run: ([x]) =>
      flatten(
        interpolate(interpolate(x!, { size: [3, 4, 4], mode: 'trilinear' }), {
          scaleFactor: 0.6,
          mode: 'nearest-exact',
        }),
      ),
  },
  {
    name: "conv2d paddingMode 'reflect' padding 2 on unbatched [C, H, W], then 'circular' 'same'",
    covers: ['gather', 'unfold', 'matmul', 'add', 'scatterAdd'],
    inputs: [{ shape: [2, 5, 4] }, { shape: [3, 2, 3, 3] }, { shape: [3] }, { shape: [2, 3, 2, 2] }],
    run: ([x, w, b, w2]) =>
      conv2d(conv2d(x!, w!, b!, { padding: 2, paddingMode: 'reflect' }), w2!, null, {
        padding: 'same',
        paddingMode: 'circular',
      }),
  },
  {
    name: 'pixelShuffle 2 then pixelUnshuffle 3 (rank-5 permutes)',
    covers: ['transpose', 'reshape'],
    inputs: [{ shape: [2, 8, 3, 3] }],
    run: ([x]) => pixelUnshuffle(pixelShuffle(x!, 2), 3),
  },
  {
    name: 'maxPool2d 3x3 stride 2 padding 1 ceilMode, and adaptiveMaxPool2d 7x6 -> 3x4',
    covers: ['unfold', 'max', 'pad', 'gather', 'add'],
    inputs: [{ shape: [1, 2, 8, 7] }, { shape: [1, 2, 7, 6] }],
    run: ([x, y]) =>
      maxPool2d(x!, 3, { stride: 2, padding: 1, ceilMode: true }).add(adaptiveMaxPool2d(y!, [3, 4]).sum()),
  },
  {
    name: 'avgPool2d 3x3 stride 2 padding 1 ceilMode (countIncludePad false)',
    covers: ['unfold', 'sum', 'div', 'pad'],
    inputs: [{ shape: [1, 2, 6, 5] }],
    run: ([x]) => avgPool2d(x!, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  },
  {
    name: 'instanceNorm [2,3,4,3] with weight and bias',
    covers: ['sum', 'sub', 'mul', 'div', 'sqrt'],
    inputs: [{ shape: [2, 3, 4, 3] }, { shape: [3] }, { shape: [3] }],
    run: ([x, w, b]) => instanceNorm(x!, { weight: w!, bias: b! }),
  },
];

// The 3-D family is built from the 2-D ops: conv3d is conv2d per depth tap over depth slices moved
// into the batch (a gather, a permute and a sum), convTranspose3d convTranspose2d per tap scattered
// to the depths it reaches, the box poolings a 2-D pooling over height and
// width then one over depth; these check that every backend runs those shapes, with their gradients.
// The programs join their results flat, not by broadcasting: tfjs-webgpu broadcasts rank 5 on the CPU.
const volumeCases: OpCase[] = [
  {
    name: 'convTranspose2d stride 2 padding 1 outputPadding 1 with bias, unbatched [C, H, W]',
    covers: ['matmul', 'scatterAdd', 'pad', 'slice', 'add', 'reshape'],
    inputs: [{ shape: [3, 3, 2] }, { shape: [3, 2, 3, 3] }, { shape: [2] }],
    run: ([x, w, b]) => convTranspose2d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1 }),
  },
  {
    // Regression: tfjs sized a numeric pad's output with the first stride and the filter's height.
    name: 'conv2d stride [1,2] padding 1 with a 2x3 kernel (one pad, non-square stride and filter)',
    covers: ['unfold', 'matmul', 'reshape'],
    inputs: [{ shape: [2, 2, 5, 6] }, { shape: [3, 2, 2, 3] }],
    run: ([x, w]) => conv2d(x!, w!, null, { stride: [1, 2], padding: 1 }),
  },
  {
    name: "conv3d padding 'same' (even kernel) reflect, groups 2, bias",
    covers: ['gather', 'transpose', 'unfold', 'matmul', 'add', 'reshape', 'slice'],
    inputs: [{ shape: [1, 2, 3, 4, 4] }, { shape: [2, 1, 2, 3, 2] }, { shape: [2] }],
    run: ([x, w, b]) => conv3d(x!, w!, b!, { padding: 'same', groups: 2, paddingMode: 'reflect' }),
  },
  {
    name: 'conv3d stride [2,1,2] padding 1 dilation [1,2,1], unbatched',
    covers: ['gather', 'transpose', 'unfold', 'matmul', 'add', 'pad', 'reshape'],
    inputs: [{ shape: [2, 3, 5, 4] }, { shape: [3, 2, 2, 2, 2] }],
    run: ([x, w]) => conv3d(x!, w!, null, { stride: [2, 1, 2], padding: 1, dilation: [1, 2, 1] }),
  },
  {
    name: 'convTranspose3d stride [2,1,2] padding 1 outputPadding [1,0,1] dilation [1,2,1], groups 2, bias',
    covers: ['gather', 'transpose', 'matmul', 'scatterAdd', 'concat', 'pad', 'slice', 'add', 'reshape'],
    inputs: [{ shape: [1, 2, 2, 3, 2] }, { shape: [2, 1, 2, 2, 2] }, { shape: [2] }],
    run: ([x, w, b]) =>
      convTranspose3d(x!, w!, b!, {
        stride: [2, 1, 2],
        padding: 1,
        outputPadding: [1, 0, 1],
        dilation: [1, 2, 1],
        groups: 2,
      }),
  },
  {
    name: 'maxPool3d 3 stride 2 padding 1 ceilMode, plus adaptiveMaxPool3d 4x3x5 -> 3x2x2',
    covers: ['unfold', 'max', 'pad', 'gather', 'reshape', 'concat'],
    inputs: [{ shape: [1, 2, 4, 5, 4] }, { shape: [1, 2, 4, 3, 5] }],
    run: ([x, y]) =>
      concat([
        flatten(maxPool3d(x!, 3, { stride: 2, padding: 1, ceilMode: true })),
        flatten(adaptiveMaxPool3d(y!, [3, 2, 2])),
      ]),
  },
  {
    name: 'avgPool3d [2,3,3] stride 2 padding [1,1,0] (countIncludePad false), then adaptiveAvgPool3d -> 2x1x2',
    covers: ['unfold', 'sum', 'div', 'matmul', 'pad', 'reshape'],
    inputs: [{ shape: [2, 1, 4, 5, 6] }],
    run: ([x]) =>
      adaptiveAvgPool3d(avgPool3d(x!, [2, 3, 3], { stride: 2, padding: [1, 1, 0], countIncludePad: false }), [2, 1, 2]),
  },
  {
    name: 'avgPool3d 3 stride 2 padding 1 ceilMode divisorOverride 5, and avgPool2d divisorOverride -2',
    covers: ['unfold', 'sum', 'div', 'pad', 'reshape', 'concat'],
    inputs: [{ shape: [1, 2, 4, 5, 4] }, { shape: [2, 4, 6] }],
    run: ([x, y]) =>
      concat([
        flatten(avgPool3d(x!, 3, { stride: 2, padding: 1, ceilMode: true, divisorOverride: 5 })),
        flatten(avgPool2d(y!, [2, 3], { divisorOverride: -2 })),
      ]),
  },
  {
    // Windows apart: where they overlap, the gradient (as PyTorch's) counts a shared maximum once per window.
    name: 'maxPool2dWithIndices 2 padding 1, then maxUnpool2d to 6x5',
    covers: ['unfold', 'argmax', 'gather', 'mul', 'add', 'scatterAdd', 'maximum', 'div', 'sub', 'reshape'],
    inputs: [{ shape: [1, 2, 6, 5] }],
    run: ([x]) => {
      const [values, indices] = maxPool2dWithIndices(x!, 2, { padding: 1 });
      return maxUnpool2d(values, indices, 2, { padding: 1, outputSize: [6, 5] });
    },
  },
  {
    name: 'maxPool1d/3dWithIndices and maxUnpool1d/3d, unbatched 1-D',
    covers: ['unfold', 'argmax', 'gather', 'scatterAdd', 'concat', 'reshape'],
    inputs: [{ shape: [2, 7] }, { shape: [1, 2, 2, 4, 4] }],
    run: ([x, y]) => {
      const [v1, i1] = maxPool1dWithIndices(x!, 2);
      const [v3, i3] = maxPool3dWithIndices(y!, 2);
      return concat([flatten(maxUnpool1d(v1, i1, 2, { outputSize: [7] })), flatten(maxUnpool3d(v3, i3, 2))]);
    },
  },
  {
    name: 'maxPool3dWithIndices indices [2,3,2] stride 2 padding [1,1,0] ceilMode (int32)',
    covers: ['unfold', 'argmax', 'gather', 'pad', 'concat', 'reshape'],
    inputs: [{ shape: [1, 2, 4, 5, 5] }],
    run: ([x]) => flatten(maxPool3dWithIndices(x!, [2, 3, 2], { stride: 2, padding: [1, 1, 0], ceilMode: true })[1]),
  },
  {
    name: 'batchNorm training and instanceNorm on [2,2,2,3,2]',
    covers: ['sum', 'sub', 'mul', 'div', 'sqrt', 'reshape', 'concat'],
    inputs: [{ shape: [2, 2, 2, 3, 2] }, { shape: [2] }, { shape: [2] }],
    run: ([x, w, b]) =>
      concat([
        flatten(batchNorm(x!, { weight: w!, bias: b!, training: true })),
        flatten(instanceNorm(x!, { weight: w!, bias: b! })),
      ]),
  },
];

export const convolutionCases: OpCase[] = [...unfoldCases, ...convCases, ...imageCases, ...volumeCases];
