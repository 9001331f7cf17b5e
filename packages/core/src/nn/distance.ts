import { checkNormOrder, cosineSimilarity, pairwiseDistance } from '../ops/distance.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkInteger, checkNumber } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/**
 * torch.nn.CosineSimilarity: `forward(x1, x2)` is cosineSimilarity(x1, x2, { dim, eps }), the
 * cosine along `dim` (default 1) of the broadcast inputs, each norm taken as at least `eps`
 * (default 1e-8). No parameters.
 */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;

  constructor(dim = 1, eps = 1e-8) {
    super();
    this.dim = checkInteger('CosineSimilarity: dim', dim);
    this.eps = checkNumber('CosineSimilarity: eps', eps, { min: 0 });
  }

  override get typeName(): string {
    return 'CosineSimilarity';
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }

  override config(): ModuleConfig {
    return { type: 'CosineSimilarity', dim: this.dim, eps: this.eps };
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}, eps=${this.eps}`;
  }
}

/**
 * torch.nn.PairwiseDistance: `forward(x1, x2)` is pairwiseDistance(x1, x2, { p, eps, keepdim }),
 * the p-norm (default 2) of x1 - x2 + eps (default 1e-6) over the last axis. No parameters.
 */
export class PairwiseDistance extends Module {
  readonly p: number;
  readonly eps: number;
  readonly keepdim: boolean;

  constructor(p = 2, eps = 1e-6, keepdim = false) {
    super();
    this.p = checkNormOrder('PairwiseDistance', p);
    this.eps = checkNumber('PairwiseDistance: eps', eps);
    this.keepdim = checkBoolean('PairwiseDistance: keepdim', keepdim);
  }

  override get typeName(): string {
    return 'PairwiseDistance';
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return pairwiseDistance(x1, x2, { p: this.p, eps: this.eps, keepdim: this.keepdim });
  }

  override config(): ModuleConfig {
    return { type: 'PairwiseDistance', p: this.p, eps: this.eps, keepdim: this.keepdim };
  }

  protected override extraRepr(): string {
    return `p=${this.p}, eps=${this.eps}, keepdim=${this.keepdim}`;
  }
}
