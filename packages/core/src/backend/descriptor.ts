// What a backend package tells the apps and tools about itself: one `descriptor` export per
// package. The CLI, the web app and the bench build every list, help text and automatic choice
// from these, so adding a backend touches its own package and one list of package names.
import { BackendError } from '../errors.js';
import type { Backend } from './contract.js';
import type { BackendProbe } from './registry.js';

/**
 * A backend package's description of itself. `probe`, `create` and `register` may load the
 * backend's runtime (a wasm module, Dawn, a native addon) on first call; reading the other
 * fields costs nothing.
 */
export interface BackendDescriptor<Options extends object = object, Instance extends Backend = Backend> {
  /** The registry and `--backend` name: 'cpu-reference', 'wasm', 'cuda'... */
  readonly name: string;
  /** A short human name for menus: 'WebAssembly', 'CPU reference'. */
  readonly title: string;
  /** One line: what it runs on and when to use it. */
  readonly description: string;
  /** The npm package that provides it. */
  readonly packageName: string;
  /** What to install to use it, as a command line. */
  readonly install: string;
  /**
   * Rank for an automatic choice (`--backend auto`): the usable backend of highest priority
   * wins, and the registry's default is the registered backend of highest priority. Native GPU
   * 40, native CPU 30, wasm 20, WebGPU 15, cpu-reference 10.
   */
  readonly priority: number;
  /** Whether it can run here, and why not; `auto: false` when usable but not for an automatic choice. Never throws. */
  probe(options?: Options): Promise<BackendProbe>;
  /** A new backend instance; throws a BackendError saying what to install when it cannot run here. */
  create(options?: Options): Promise<Instance>;
  /** Creates the backend and registers it with core under its name at `priority`; returns it. */
  register(options?: Options): Promise<Instance>;
}

/** Any backend's descriptor, whatever its options (methods take options bivariantly). */
export type AnyBackendDescriptor = BackendDescriptor;

/** Whether `value` has the shape of a BackendDescriptor (for descriptors loaded by package name). */
export function isBackendDescriptor(value: unknown): value is AnyBackendDescriptor {
  const d = value as Partial<Record<keyof BackendDescriptor, unknown>> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.name === 'string' &&
    typeof d.priority === 'number' &&
    typeof d.probe === 'function' &&
    typeof d.create === 'function' &&
    typeof d.register === 'function'
  );
}

/** A candidate of an automatic choice: a descriptor's name and priority, and how to probe it. */
export type AutoCandidate = Pick<BackendDescriptor, 'name' | 'priority'>;

/** A backend passed over by an automatic choice, and why. */
export interface SkippedBackend {
  name: string;
  reason: string;
}

export interface AutoChoice<D extends AutoCandidate> {
  descriptor: D;
  probe: BackendProbe;
  /** Why this one: 'highest-priority usable backend' or the fallback it is. */
  reason: string;
  /** The backends of higher priority that were passed over, in order, with why. */
  skipped: SkippedBackend[];
}

/** Highest priority first; equal priorities keep their order in the list. */
export function byPriority<D extends AutoCandidate>(descriptors: readonly D[]): D[] {
  return descriptors
    .map((descriptor, index) => ({ descriptor, index }))
    .sort((a, b) => b.descriptor.priority - a.descriptor.priority || a.index - b.index)
    .map(({ descriptor }) => descriptor);
}

/**
 * `--backend auto`: probes the candidates from the highest priority down and picks the first
 * usable one that allows an automatic choice. When every usable one says `auto: false` (a
 * software GPU adapter only), the highest-priority usable one is taken anyway. Throws a
 * BackendError listing every reason when nothing is usable.
 */
export async function chooseBackend<D extends AutoCandidate>(
  descriptors: readonly D[],
  probe: (descriptor: D) => Promise<BackendProbe>,
): Promise<AutoChoice<D>> {
  const skipped: SkippedBackend[] = [];
  let fallback: { descriptor: D; probe: BackendProbe; at: number } | null = null;
  for (const descriptor of byPriority(descriptors)) {
    let result: BackendProbe;
    try {
      result = await probe(descriptor);
    } catch (error) {
      result = { usable: false, reason: (error as Error).message };
    }
    if (result.usable && result.auto !== false) {
      return { descriptor, probe: result, reason: 'highest-priority usable backend', skipped };
    }
    if (result.usable) fallback ??= { descriptor, probe: result, at: skipped.length };
    skipped.push({
      name: descriptor.name,
      reason: result.reason ?? (result.usable ? 'usable, but not for an automatic choice' : 'not usable'),
    });
  }
  if (fallback !== null) {
    const { descriptor, probe: result, at } = fallback;
    return {
      descriptor,
      probe: result,
      reason: 'the only usable backend, though not one to choose automatically',
      skipped: skipped.filter((_, i) => i !== at),
    };
  }
  throw new BackendError(
    `no usable backend here: ${skipped.map((s) => `${s.name}: ${firstLine(s.reason)}`).join('; ') || 'none is installed'}`,
  );
}

/** One line for a log: "auto: highest-priority usable backend; cuda: no CUDA driver". */
export function describeChoice(choice: AutoChoice<AutoCandidate>, maxReason = 100): string {
  const passed = choice.skipped.map((s) => {
    const reason = firstLine(s.reason);
    return `${s.name}: ${reason.length > maxReason ? `${reason.slice(0, maxReason - 3)}...` : reason}`;
  });
  return ['auto: ' + choice.reason, ...passed].join('; ');
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
