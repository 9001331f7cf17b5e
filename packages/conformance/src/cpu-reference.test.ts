// The oracle runs the suite too: tiers 1-3 shrink to one determinism test each (oracle: true),
// and its (and core's) gradients are proven by finite differences and, where those cannot
// work, by PyTorch's values (cases/pytorch-gradients.ts).
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { runConformanceSuite } from './index.js';

runConformanceSuite({
  name: 'cpu-reference',
  createBackend: createCpuReferenceBackend,
  finiteDifferences: true,
  oracle: true,
});
