// The one list of backend packages that Node tools (the CLI, the bench) look for. A package
// that is not installed is reported as such, so listing one here costs nothing where it is
// absent. The web app bundles statically and keeps its own list (apps/web/src/backends.ts).
import { describeValue } from '../errors.js';
import { isBackendDescriptor, type AnyBackendDescriptor } from './descriptor.js';

/** Every backend package, each exporting a `descriptor`. Adding a backend adds one line here. */
export const BACKEND_PACKAGES: readonly string[] = [
  '@myelin/backend-cuda',
  '@myelin/backend-cpu',
  '@myelin/backend-wasm',
  '@myelin/backend-webgpu',
  '@myelin/backend-cpu-reference',
];

/** A backend package that could not be loaded, and why. */
export interface UnloadedBackend {
  packageName: string;
  /** The backend name the package would have (its name without '@myelin/backend-'). */
  name: string;
  installed: boolean;
  problem: string;
}

export type LoadedBackend = { descriptor: AnyBackendDescriptor } | UnloadedBackend;

/**
 * Imports one backend package and returns its `descriptor`, or what went wrong: not installed,
 * not built, failed to load, no descriptor. `importPackage` is the caller's `(name) => import(name)`,
 * so the package resolves from the caller's dependencies.
 */
export async function loadBackendDescriptor(
  packageName: string,
  importPackage: (specifier: string) => Promise<unknown>,
): Promise<LoadedBackend> {
  const name = packageName.replace(/^@myelin\/backend-/, '');
  let module: { descriptor?: unknown };
  try {
    module = (await importPackage(packageName)) as { descriptor?: unknown };
  } catch (error) {
    const message = (error as Error).message;
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
      return { packageName, name, installed: false, problem: `${packageName} is not installed` };
    }
    if (code === 'ERR_MODULE_NOT_FOUND' && /dist[/\\]index\.js/.test(message)) {
      return {
        packageName,
        name,
        installed: true,
        problem: `${packageName} is installed but not built (run pnpm build in the Myelin repository)`,
      };
    }
    return { packageName, name, installed: true, problem: `${packageName} failed to load: ${message.split('\n')[0]}` };
  }
  if (!isBackendDescriptor(module.descriptor)) {
    return {
      packageName,
      name,
      installed: true,
      problem: `${packageName} exports no backend descriptor (got ${describeValue(module.descriptor)})`,
    };
  }
  return { descriptor: module.descriptor };
}

/** Loads every package of `packageNames` (default BACKEND_PACKAGES), in order. */
export async function loadBackendDescriptors(
  importPackage: (specifier: string) => Promise<unknown>,
  packageNames: readonly string[] = BACKEND_PACKAGES,
): Promise<LoadedBackend[]> {
  const loaded: LoadedBackend[] = [];
  for (const packageName of packageNames) loaded.push(await loadBackendDescriptor(packageName, importPackage));
  return loaded;
}
