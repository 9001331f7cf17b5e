export {
  cond,
  eigh,
  eigvalsh,
  matrixRank,
  pinv,
  svd,
  svdvals,
  type EighOptions,
  type RankOptions,
  type SvdOptions,
} from './spectral.js';
