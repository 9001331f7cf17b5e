export { cond } from './cond.js';
export {
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
export { vectorNorm, matrixNorm, norm, type NormOptions, type MatrixNormOrder } from './norms.js';
export { solve, inv, det, slogdet, logdet, type SolveOptions, type SlogdetResult } from './solve.js';
export {
  solveTriangular,
  luFactor,
  lu,
  luSolve,
  cholesky,
  choleskyInverse,
  qr,
  type SolveTriangularOptions,
  type LuFactorOptions,
  type LuFactorResult,
  type LuResult,
  type LuSolveOptions,
  type CholeskyOptions,
  type QrMode,
  type QrResult,
} from './factor.js';
export { matrixPower, multiDot, vecdot, type VecdotOptions } from './products.js';
export { lstsq, type LstsqResult } from './lstsq.js';
export { matrixExp } from './matrix-exp.js';
