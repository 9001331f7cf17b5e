import { describe, expect, it } from 'vitest';
import { describeModel } from './describe.js';

describe('describeModel', () => {
  it('names each layer with its sizes on one line', () => {
    const model = {
      type: 'Sequential',
      modules: [
        { type: 'Conv1d', inChannels: 1, outChannels: 8, kernelSize: 3 },
        { type: 'MaxPool1d', kernelSize: 2 },
        {
          type: 'TransformerEncoder',
          numLayers: 2,
          encoderLayer: { type: 'TransformerEncoderLayer', dModel: 8, nhead: 2, normFirst: true },
          norm: null,
        },
        { type: 'MultiheadAttention', embedDim: 8, numHeads: 4 },
        { type: 'SelectTimeStep' },
      ],
    };
    expect(describeModel(model)).toBe(
      'Conv1d(1->8, 3) MaxPool1d(2) TransformerEncoder(2 x TransformerEncoderLayer(8, 2 heads, pre-norm)) MultiheadAttention(8, 4 heads) SelectTimeStep',
    );
  });

  it('names the 3-D layers with their sizes', () => {
    const model = {
      type: 'Sequential',
      modules: [
        { type: 'Conv3d', inChannels: 1, outChannels: 4, kernelSize: [1, 3, 3] },
        { type: 'BatchNorm3d', numFeatures: 4 },
        { type: 'MaxPool3d', kernelSize: 2 },
        { type: 'AvgPool3d', kernelSize: [1, 2, 2] },
      ],
    };
    expect(describeModel(model)).toBe('Conv3d(1->4, 1,3,3) BatchNorm3d MaxPool3d(2) AvgPool3d(1,2,2)');
  });
});
