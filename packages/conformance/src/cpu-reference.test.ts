// The oracle runs the suite too: tiers 1-3 check it is deterministic and self-consistent, and
// the finite-difference tier is the real proof of its (and core's) gradients.
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { runConformanceSuite } from './index.js';

runConformanceSuite({
  name: 'cpu-reference',
  createBackend: createCpuReferenceBackend,
  finiteDifferences: true,
});
