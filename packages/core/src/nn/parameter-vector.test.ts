import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Linear, getBackend, parametersToVector, tensor, vectorToParameters } from '@myelin/core';

describe('parametersToVector and vectorToParameters (torch.nn.utils)', () => {
  it('flatten the parameters in order and write them back', async () => {
    const layer = new Linear(3, 2);
    const params = layer.parameters();
    const vector = parametersToVector(params);
    expect(vector.shape).toEqual([8]);
    expect(Array.from(await vector.data())).toEqual([...(await layer.weight.data()), ...(await layer.bias!.data())]);
    const values = tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    const before = getBackend().liveHandles();
    vectorToParameters(values, params);
    expect(getBackend().liveHandles()).toBe(before); // the given vector is the caller's; nothing else stays
    expect(Array.from(await layer.weight.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await layer.bias!.data())).toEqual([7, 8]);
    // One parameter as large as the vector, and the vector still usable afterwards.
    const single = tensor([9, 8, 7, 6]);
    const w = new Linear(2, 2, { bias: false });
    vectorToParameters(single, w.parameters());
    expect(Array.from(await w.weight.data())).toEqual([9, 8, 7, 6]);
    expect(Array.from(await single.data())).toEqual([9, 8, 7, 6]);
  });

  it('is differentiable one way and checks lengths the other', async () => {
    const layer = new Linear(2, 1);
    parametersToVector(layer.parameters()).square().sum().backward();
    expect(layer.weight.grad).not.toBeNull();
    expect(() => vectorToParameters(tensor([1, 2]), layer.parameters())).toThrow(
      "vectorToParameters: vector must be 1-D with 3 elements (the parameters' total), got shape [2]",
    );
    expect(() => parametersToVector([])).toThrow(/non-empty array of parameters/);
  });
});
