import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError } from '../errors.js';
import { div, mul } from '../ops/elementwise.js';
import { normalize } from '../ops/distance.js';
import { permute, reshape, transpose } from '../ops/movement.js';
import { dot, mv } from '../ops/products.js';
import { norm } from '../ops/tensor-utils.js';
import { randn } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite, keep, tidy } from '../tensor/scope.js';
import type { RemovableHandle, Tensor } from '../tensor/tensor.js';
import { checkInteger, checkNumber, checkOptions, describeValue } from './checks.js';
import { Module, moduleInternals } from './module.js';
import { forgetReparametrization, recordReparametrization } from './reparametrization-config.js';

/**
 * torch.nn.utils.weight_norm and spectral_norm (torch 1.13's hook versions): a module's weight
 * becomes a function of new parameters, recomputed by a forward pre-hook before every forward.
 * The module's field (`linear.weight`) then reads the latest computed weight.
 */

export interface WeightNormOptions {
  /** The parameter to reparametrize (default 'weight'). */
  name?: string;
  /** The dimension kept by the norm (default 0: one norm per output; negative counts from the end); null or -1: one norm over the whole tensor, as torch. */
  dim?: number | null;
}

export interface RemoveNormOptions {
  /** The reparametrized parameter (default 'weight'). */
  name?: string;
}

export interface SpectralNormOptions {
  name?: string;
  /** Power-iteration steps per forward in training mode (default 1). */
  nPowerIterations?: number;
  /** The smallest norm divided by when normalizing u and v (default 1e-12). */
  eps?: number;
  /** The dimension of the outputs (default 0; 1 for ConvTranspose1d/2d/3d, as torch). */
  dim?: number;
  /** Draws the initial u and v; the default generator otherwise. */
  generator?: Generator;
}

/** One reparametrization as a module's config records it, so a checkpoint rebuilds it. */
type NormConfig =
  | { type: 'weightNorm'; name: string; dim: number }
  | { type: 'spectralNorm'; name: string; nPowerIterations: number; eps: number; dim: number };

interface Installed {
  config: NormConfig;
  hook: RemovableHandle;
  /** The weight from the current parameters (no power iteration). */
  compute(): Tensor;
  /** The tensors it added, unregistered and freed by the remove function. */
  added: { kind: 'parameter' | 'buffer'; name: string }[];
  /** Frees the weight the field's getter computed outside a forward, if any. */
  release(): void;
}

/** A module's weight and spectral norms by parameter name. */
const installed = new WeakMap<Module, Map<string, Installed>>();

/**
 * torch.nn.utils.weight_norm: replaces the parameter `name` with `${name}_g` (its norm over every
 * dimension but `dim`) and `${name}_v` (its direction, the old tensor itself), torch's state-dict
 * names, and recomputes `name` = g * v / ||v|| before every forward, so gradients reach g and v.
 * Apply it before building the optimizer. Returns the module.
 */
export function weightNorm<M extends Module>(module: M, options: WeightNormOptions = {}): M {
  const owner = 'weightNorm';
  checkOptions(owner, options, ['name', 'dim']);
  const name = options.name ?? 'weight';
  const weight = findParameter(owner, module, name);
  const requested = options.dim === undefined ? 0 : options.dim;
  // As torch: -1 (or null) is the whole tensor; another negative dim counts from the end.
  const dim =
    requested === null || requested === -1
      ? -1
      : checkDim(
          owner,
          typeof requested === 'number' && requested < -1 && requested >= -weight.rank
            ? requested + weight.rank
            : requested,
          weight,
        );
  const normOf = (v: Tensor): Tensor =>
    dim === -1
      ? norm(v)
      : norm(
          v,
          2,
          v.shape.map((_, axis) => axis).filter((axis) => axis !== dim),
          true,
        );
  const g = noGrad(() => normOf(weight));
  moduleInternals.unregister(module, 'parameter', name);
  moduleInternals.registerParameter(module, `${name}_g`, g);
  moduleInternals.registerParameter(module, `${name}_v`, weight);
  const compute = (): Tensor => composite(() => mul(weight, div(g, normOf(weight))));
  install(module, name, weight, { type: 'weightNorm', name, dim }, compute, () => compute(), [
    { kind: 'parameter', name: `${name}_g` },
    { kind: 'parameter', name: `${name}_v` },
  ]);
  return module;
}

/** torch.nn.utils.remove_weight_norm: `name` becomes a parameter again, holding the current weight; g and v are freed. */
export function removeWeightNorm<M extends Module>(module: M, options: RemoveNormOptions = {}): M {
  return uninstall('removeWeightNorm', 'weightNorm', module, options);
}

/**
 * torch.nn.utils.spectral_norm: divides the parameter `name` by its largest singular value,
 * estimated by power iteration (the weight as a matrix with `dim` first). The parameter moves to
 * `${name}_orig`; the buffers `${name}_u` and `${name}_v` hold the singular vectors, updated in
 * place by `nPowerIterations` steps (without gradient) before each forward in training mode and
 * used as they are in eval mode. u and v start as normalized draws from `generator`. Returns the module.
 */
export function spectralNorm<M extends Module>(module: M, options: SpectralNormOptions = {}): M {
  const owner = 'spectralNorm';
  checkOptions(owner, options, ['name', 'nPowerIterations', 'eps', 'dim', 'generator']);
  const name = options.name ?? 'weight';
  const steps = checkInteger(`${owner}: nPowerIterations`, options.nPowerIterations ?? 1);
  if (steps < 0) throw new ArgumentError(`${owner}: nPowerIterations must be an integer >= 0, got ${steps}`);
  const eps = checkNumber(`${owner}: eps`, options.eps ?? 1e-12, { min: 0 });
  const weight = findParameter(owner, module, name);
  const dim = checkDim(owner, options.dim ?? defaultSpectralDim(module), weight);
  moduleInternals.unregister(module, 'parameter', name);
  const [u, v] = initialSingularVectors(weight, dim, eps, options.generator);
  moduleInternals.registerParameter(module, `${name}_orig`, weight, true);
  moduleInternals.registerBuffer(module, `${name}_u`, u);
  moduleInternals.registerBuffer(module, `${name}_v`, v);
  const compute = (powerIteration: boolean): Tensor =>
    composite(() => {
      const matrix = weightMatrix(weight, dim);
      if (!powerIteration || steps === 0) return div(weight, dot(u, mv(matrix, v)));
      powerIterations(matrix, u, v, steps, eps, 'v first');
      // Copies, as torch's clones: the next update of the buffers must not change this graph's inputs.
      return div(weight, dot(u.detach(), mv(matrix, v.detach())));
    });
  install(
    module,
    name,
    weight,
    { type: 'spectralNorm', name, nPowerIterations: steps, eps, dim },
    () => compute(false),
    (training) => compute(training),
    [
      { kind: 'parameter', name: `${name}_orig` },
      { kind: 'buffer', name: `${name}_u` },
      { kind: 'buffer', name: `${name}_v` },
    ],
  );
  return module;
}

/** Spectral norm's default `dim`: 1 for ConvTranspose1d/2d/3d (their weights are [in, out, ...]), 0 otherwise, as torch. */
export function defaultSpectralDim(module: Module): number {
  return ['ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d'].includes(module.typeName) ? 1 : 0;
}

/** The weight as a matrix with `dim` first (spectral norm's rows), the other dimensions flattened. */
export function weightMatrix(weight: Tensor, dim: number): Tensor {
  const others = weight.shape.map((_, axis) => axis).filter((axis) => axis !== dim);
  const front = dim === 0 ? weight : permute(weight, [dim, ...others]);
  return reshape(front, [weight.shape[dim]!, weight.size / weight.shape[dim]!]);
}

/** Unit vectors u (a row of the weight matrix long) and v (a column long) drawn from `generator` (torch's normal_). */
export function initialSingularVectors(
  weight: Tensor,
  dim: number,
  eps: number,
  generator: Generator | undefined,
): [Tensor, Tensor] {
  const [height, width] = [weight.shape[dim]!, weight.size / weight.shape[dim]!];
  const draw = (n: number): Tensor =>
    composite(() =>
      normalize(randn([n], { generator, dtype: weight.dtype, backend: weight.backend }), { dim: 0, eps }),
    );
  const u = noGrad(() => draw(height));
  return [u, noGrad(() => draw(width))];
}

/**
 * Updates u and v in place by power-iteration steps, without gradient: torch 1.13's spectral_norm
 * computes v from u first, its parametrizations.spectral_norm u from v first.
 */
export function powerIterations(
  matrix: Tensor,
  u: Tensor,
  v: Tensor,
  steps: number,
  eps: number,
  order: 'v first' | 'u first',
): void {
  noGrad(() =>
    tidy(() => {
      let [left, right] = [u, v];
      const nextU = (): Tensor => normalize(mv(matrix, right), { dim: 0, eps });
      const nextV = (): Tensor => normalize(mv(transpose(matrix, 0, 1), left), { dim: 0, eps });
      for (let step = 0; step < steps; step++) {
        if (order === 'v first') right = nextV();
        left = nextU();
        if (order === 'u first') right = nextV();
      }
      u.assign(left);
      v.assign(right);
    }),
  );
}

/** torch.nn.utils.remove_spectral_norm: `name` becomes a parameter again, holding the current weight (no power iteration). */
export function removeSpectralNorm<M extends Module>(module: M, options: RemoveNormOptions = {}): M {
  return uninstall('removeSpectralNorm', 'spectralNorm', module, options);
}

/** The parameter `name` of `module`, which its forward reads through the field of that name (the caller unregisters it once every check passed). */
function findParameter(owner: string, module: Module, name: unknown): Tensor {
  if (!(module instanceof Module)) throw new ArgumentError(`${owner}: expected a Module, got ${describeValue(module)}`);
  if (typeof name !== 'string' || name === '' || name.includes('.'))
    throw new ArgumentError(
      `${owner}: name must be the name of one of the module's own parameters (no '.'), got ${describeValue(name)}`,
    );
  const done = installed.get(module)?.get(name);
  if (done !== undefined)
    throw new ArgumentError(
      `${owner}: ${module.typeName}'s '${name}' already has ${done.config.type}; remove it first (remove${done.config.type[0]!.toUpperCase()}${done.config.type.slice(1)})`,
    );
  const parameter = module.getParameter(name);
  if ((module as unknown as Record<string, unknown>)[name] !== parameter)
    throw new ArgumentError(
      `${owner}: ${module.typeName} does not read its parameter '${name}' through a field of that name, so a recomputed '${name}' would not reach its forward`,
    );
  return parameter;
}

function checkDim(owner: string, dim: unknown, weight: Tensor): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0 || dim >= weight.rank)
    throw new ArgumentError(
      `${owner}: dim must be an integer in [${owner === 'weightNorm' ? -weight.rank : 0}, ${weight.rank}) for a weight of rank ${weight.rank}${owner === 'weightNorm' ? ' (null or -1: the whole tensor)' : ''}, got ${describeValue(dim)}`,
    );
  return dim;
}

/**
 * Makes `module[name]` the computed weight: a getter returning what the pre-hook computed last,
 * or, when that was freed with its scope or `source` moved (`to()`), one computed without
 * gradient and owned here (freed when the next forward, a move or the remove function replaces it).
 */
function install(
  module: Module,
  name: string,
  source: Tensor,
  config: NormConfig,
  compute: () => Tensor,
  beforeForward: (training: boolean) => Tensor,
  added: Installed['added'],
): void {
  let current: Tensor | null = null;
  // Whether `current` is the getter's own (kept out of scopes, freed here), not a forward's.
  let owned = false;
  const release = (): void => {
    if (owned && current !== null && !current.isDisposed) current.dispose();
    [current, owned] = [null, false];
  };
  Object.defineProperty(module, name, {
    configurable: true,
    enumerable: true,
    get: (): Tensor => {
      if (
        current === null ||
        current.isDisposed ||
        current.backend !== source.backend ||
        current.dtype !== source.dtype
      ) {
        release();
        current = keep(noGrad(compute));
        owned = true;
      }
      return current;
    },
  });
  const hook = module.registerForwardPreHook(() => {
    release();
    current = beforeForward(module.training);
  });
  let byName = installed.get(module);
  if (byName === undefined) installed.set(module, (byName = new Map()));
  const record: Installed = { config, hook, compute, added, release };
  byName.set(name, record);
  recordReparametrization(
    module,
    record,
    name,
    () => source,
    () => ({ ...config }),
  );
}

function uninstall<M extends Module>(
  owner: string,
  type: NormConfig['type'],
  module: M,
  options: RemoveNormOptions,
): M {
  checkOptions(owner, options, ['name']);
  const name = options.name ?? 'weight';
  const byName = module instanceof Module ? installed.get(module) : undefined;
  const found = byName?.get(name);
  if (byName === undefined || found === undefined || found.config.type !== type)
    throw new ArgumentError(
      `${owner}: ${module instanceof Module ? module.typeName : describeValue(module)} has no ${type} on '${String(name)}'`,
    );
  const weight = noGrad(() => found.compute());
  found.hook.remove();
  found.release();
  for (const { kind, name: added } of found.added) moduleInternals.unregister(module, kind, added).dispose();
  Object.defineProperty(module, name, { configurable: true, enumerable: true, writable: true, value: weight });
  moduleInternals.registerParameter(module, name, weight);
  byName.delete(name);
  forgetReparametrization(module, found);
  return module;
}
