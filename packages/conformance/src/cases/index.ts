import { elementwiseCases } from './elementwise.js';
import { structuralCases } from './structural.js';
import { lossCases } from './losses.js';
import { convolutionCases } from './conv.js';
import { recurrentCases } from './recurrent.js';
import { attentionCases } from './attention.js';
import { tensorUtilityCases } from './tensor-utils.js';
import { tensorMathCases } from './tensor-math.js';
import { layerCases } from './layers.js';
import { sortCases } from './sort.js';
import { linalgSpectralCases } from './linalg-spectral.js';
import { specialCases } from './special.js';
import { nnExtraCases } from './nn-extras.js';
import { linalgCases } from './linalg.js';
import { tensorFunctionCases } from './tensor-functions.js';
import { multivariateDistributionCases } from './distributions-multivariate.js';
import { weightNormCases } from './weight-norm.js';
import type { OpCase } from './types.js';

export type { InputSpec, OpCase } from './types.js';

/** Every conformance case, in a stable order. */
export const allCases: readonly OpCase[] = [
  ...elementwiseCases,
  ...structuralCases,
  ...lossCases,
  ...convolutionCases,
  ...recurrentCases,
  ...attentionCases,
  ...tensorUtilityCases,
  ...tensorMathCases,
  ...layerCases,
  ...sortCases,
  ...linalgSpectralCases,
  ...specialCases,
  ...nnExtraCases,
  ...linalgCases,
  ...tensorFunctionCases,
  ...multivariateDistributionCases,
  ...weightNormCases,
];
