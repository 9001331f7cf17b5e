import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registeredBackends, setBackend, type Backend, type BackendProbe } from '@myelin/core';
import { CliError, UsageError, describeValue } from './errors.js';

// Backends are packages named @myelin/backend-<name>, loaded only when asked for, by name
// (dynamic import), so a missing or broken one never stops the others. A package may export
// `probe()` ({ usable, reason?, details? }) and a `register<Name>Backend()` that creates and
// registers it; cpu-reference registers itself when imported.

export interface BackendStatus {
  name: string;
  packageName: string;
  description: string;
  installed: boolean;
  version?: string;
  usable: boolean;
  /** Why it is not installed or not usable, and what to do. */
  reason?: string;
  details?: Record<string, string>;
}

const KNOWN: readonly { name: string; description: string; install: string }[] = [
  {
    name: 'cpu-reference',
    description: 'pure TypeScript kernels; the default and the reference',
    install: 'npm install @myelin/backend-cpu-reference',
  },
  {
    name: 'wasm',
    description: 'WebAssembly (XNNPACK, SIMD): the fast CPU backend',
    install: 'npm install @myelin/backend-wasm',
  },
  {
    name: 'webgpu',
    description: 'WebGPU through Dawn: a GPU, or Mesa software rendering',
    install: 'npm install @myelin/backend-webgpu',
  },
  {
    name: 'cuda',
    description: 'NVIDIA GPUs through @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1)',
    install: 'npm install @myelin/backend-cuda @tensorflow/tfjs-node-gpu',
  },
];
/** Packages named like backends that are building blocks, not backends of their own. */
const NOT_SELECTABLE = new Set(['tfjs']);
const PROBE_TIMEOUT_MS = 60_000;

export const packageNameOf = (name: string): string => `@myelin/backend-${name}`;

/** Directories of installed @myelin/backend-* packages, found the way Node resolves packages from here. */
function installedPackageDirectories(): Map<string, string> {
  const found = new Map<string, string>();
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const scope = path.join(directory, 'node_modules', '@myelin');
    if (existsSync(scope)) {
      for (const entry of readdirSync(scope)) {
        const match = /^backend-(.+)$/.exec(entry);
        if (match && !found.has(match[1]!)) found.set(match[1]!, path.join(scope, entry));
      }
    }
    const parent = path.dirname(directory);
    if (parent === directory) return found;
    directory = parent;
  }
}

function packageVersion(directory: string | undefined): string | undefined {
  if (directory === undefined) return undefined;
  try {
    return (JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

type BackendModule = Record<string, unknown>;
type Loaded = { module: BackendModule } | { problem: string; installed: boolean };

async function importBackend(name: string): Promise<Loaded> {
  const packageName = packageNameOf(name);
  try {
    return { module: (await import(packageName)) as BackendModule };
  } catch (error) {
    const message = (error as Error).message;
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
      const known = KNOWN.find((k) => k.name === name);
      return { installed: false, problem: `${packageName} is not installed${known ? ` (${known.install})` : ''}` };
    }
    if (code === 'ERR_MODULE_NOT_FOUND' && /dist[/\\]index\.js/.test(message)) {
      return {
        installed: true,
        problem: `${packageName} is installed but not built (run pnpm build in the Myelin repository)`,
      };
    }
    return { installed: true, problem: `${packageName} failed to load: ${message.split('\n')[0]}` };
  }
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`)),
      PROBE_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function probeModule(name: string, module: BackendModule): Promise<BackendProbe> {
  if (typeof module.probe !== 'function') return { usable: true };
  try {
    const result = (await withTimeout(
      Promise.resolve((module.probe as () => unknown)()),
      `${packageNameOf(name)} probe()`,
    )) as { usable?: unknown; reason?: unknown; details?: unknown };
    return {
      usable: result?.usable === true,
      ...(typeof result?.reason === 'string' ? { reason: result.reason } : {}),
      ...(typeof result?.details === 'object' && result.details !== null
        ? { details: result.details as Record<string, string> }
        : {}),
    };
  } catch (error) {
    return { usable: false, reason: (error as Error).message };
  }
}

/** Every known or installed backend, each loaded and probed: for `myelin info`. */
export async function listBackends(): Promise<BackendStatus[]> {
  const directories = installedPackageDirectories();
  const names = [...new Set([...KNOWN.map((k) => k.name), ...directories.keys()])].filter(
    (name) => !NOT_SELECTABLE.has(name),
  );
  const statuses: BackendStatus[] = [];
  for (const name of names) {
    const description = KNOWN.find((k) => k.name === name)?.description ?? 'installed backend package';
    const base = {
      name,
      packageName: packageNameOf(name),
      description,
      version: packageVersion(directories.get(name)),
    };
    const loaded = await importBackend(name);
    if ('problem' in loaded) {
      statuses.push({ ...base, installed: loaded.installed, usable: false, reason: loaded.problem });
      continue;
    }
    const probe = await probeModule(name, loaded.module);
    statuses.push({ ...base, installed: true, ...probe });
  }
  return statuses;
}

/** Names of installed backend packages (for messages). */
export function installedBackendNames(): string[] {
  return [...installedPackageDirectories().keys()].filter((name) => !NOT_SELECTABLE.has(name)).sort();
}

/**
 * Loads, checks and selects backend `name`; a backend that is missing or not usable here is a
 * CliError saying which package or system library to install.
 */
export async function activateBackend(name: string): Promise<Backend> {
  if (NOT_SELECTABLE.has(name) || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new UsageError(
      `invalid value for backend (--backend): got ${describeValue(name)}; allowed: ${installedBackendNames().join(', ')} (see myelin info)`,
    );
  }
  if (registeredBackends().includes(name)) return setBackend(name);
  const loaded = await importBackend(name);
  if ('problem' in loaded) {
    throw new CliError(
      `backend '${name}' is not available: ${loaded.problem}. Installed backends: ${installedBackendNames().join(', ')} (myelin info shows which work here)`,
    );
  }
  if (registeredBackends().includes(name)) return setBackend(name);
  const probe = await probeModule(name, loaded.module);
  if (!probe.usable)
    throw new CliError(
      `backend '${name}' (${packageNameOf(name)}) is installed but not usable here: ${probe.reason ?? 'its probe() said so'}`,
    );
  const register = Object.entries(loaded.module).find(
    ([key, value]) => /^register\w*Backend$/.test(key) && typeof value === 'function',
  );
  if (register === undefined)
    throw new CliError(
      `${packageNameOf(name)} neither registers a backend when imported nor exports a register...Backend() function`,
    );
  let backend: unknown;
  try {
    backend = await (register[1] as () => Promise<unknown>)();
  } catch (error) {
    throw new CliError(`backend '${name}' failed to start: ${(error as Error).message}`, undefined, { cause: error });
  }
  const registered =
    typeof (backend as { name?: unknown })?.name === 'string' ? (backend as { name: string }).name : name;
  return setBackend(registered);
}
