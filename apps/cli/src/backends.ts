import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BACKEND_PACKAGES,
  byPriority,
  chooseBackend,
  describeChoice,
  describeValue,
  loadBackendDescriptor,
  registeredBackends,
  setBackend,
  type AnyBackendDescriptor,
  type Backend,
  type BackendProbe,
  type LoadedBackend,
} from '@myelin/core';
import { CliError, UsageError } from './errors.js';

// Every list, help text and choice of a backend comes from the backend packages' descriptors:
// core's BACKEND_PACKAGES, plus any other installed @myelin/backend-* package that exports one.
// Each is loaded only when asked for (dynamic import), so a missing or broken one never stops
// the others.

/** The --backend value that picks the usable backend of highest priority (the default). */
export const AUTO = 'auto';

export interface BackendStatus {
  name: string;
  packageName: string;
  description: string;
  /** Rank for --backend auto (absent when the package could not be loaded). */
  priority?: number;
  installed: boolean;
  version?: string;
  usable: boolean;
  /** False when usable but passed over by --backend auto (a software GPU adapter). */
  auto?: boolean;
  /** Why it is not installed or not usable, and what to do. */
  reason?: string;
  details?: Record<string, string>;
}

const PROBE_TIMEOUT_MS = 60_000;

export const packageNameOf = (name: string): string => `@myelin/backend-${name}`;

const importPackage = (specifier: string): Promise<unknown> => import(specifier);

/** Directories of installed @myelin/backend-* packages, by package name, found the way Node resolves packages from here. */
function installedPackageDirectories(): Map<string, string> {
  const found = new Map<string, string>();
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const scope = path.join(directory, 'node_modules', '@myelin');
    if (existsSync(scope)) {
      for (const entry of readdirSync(scope)) {
        const packageName = `@myelin/${entry}`;
        if (/^backend-./.test(entry) && !found.has(packageName)) found.set(packageName, path.join(scope, entry));
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

let loading: Promise<LoadedBackend[]> | null = null;

/**
 * Every backend package's descriptor, or why it could not be loaded: BACKEND_PACKAGES first,
 * then other installed @myelin/backend-* packages that export a descriptor (building blocks
 * such as backend-tfjs export none and are left out).
 */
export function loadDescriptors(): Promise<LoadedBackend[]> {
  loading ??= (async () => {
    const loaded: LoadedBackend[] = [];
    for (const packageName of BACKEND_PACKAGES) loaded.push(await loadBackendDescriptor(packageName, importPackage));
    for (const packageName of installedPackageDirectories().keys()) {
      if (BACKEND_PACKAGES.includes(packageName)) continue;
      const extra = await loadBackendDescriptor(packageName, importPackage);
      if ('descriptor' in extra) loaded.push(extra);
    }
    return loaded;
  })();
  return loading;
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

/** A descriptor's probe, bounded in time; a throw or a timeout is "not usable" with its message. */
async function probe(descriptor: AnyBackendDescriptor): Promise<BackendProbe> {
  try {
    return await withTimeout(descriptor.probe(), `${descriptor.packageName} probe()`);
  } catch (error) {
    return { usable: false, reason: (error as Error).message };
  }
}

const descriptors = (loaded: readonly LoadedBackend[]): AnyBackendDescriptor[] =>
  loaded.flatMap((entry) => ('descriptor' in entry ? [entry.descriptor] : []));

/** Every known or installed backend, highest priority first, each probed: for `myelin info`. */
export async function listBackends(): Promise<BackendStatus[]> {
  const directories = installedPackageDirectories();
  const loaded = await loadDescriptors();
  const statuses: BackendStatus[] = [];
  for (const descriptor of byPriority(descriptors(loaded))) {
    const result = await probe(descriptor);
    statuses.push({
      name: descriptor.name,
      packageName: descriptor.packageName,
      description: descriptor.description,
      priority: descriptor.priority,
      installed: true,
      version: packageVersion(directories.get(descriptor.packageName)),
      ...result,
    });
  }
  for (const entry of loaded) {
    if ('descriptor' in entry) continue;
    statuses.push({
      name: entry.name,
      packageName: entry.packageName,
      description: 'backend package',
      installed: entry.installed,
      version: packageVersion(directories.get(entry.packageName)),
      usable: false,
      reason: entry.installed ? entry.problem : `${entry.problem} (npm install ${entry.packageName})`,
    });
  }
  return statuses;
}

/** Names of the installed backends (for messages). */
export async function installedBackendNames(): Promise<string[]> {
  return descriptors(await loadDescriptors())
    .map((d) => d.name)
    .sort();
}

/** The backend activateBackend selected, and why (for `auto`). */
export interface ActivatedBackend {
  backend: Backend;
  /** For `auto`: "auto: highest-priority usable backend; cuda: ..."; null for a named backend. */
  choice: string | null;
}

/**
 * Loads, checks and selects backend `name`, or with 'auto' the usable backend of highest
 * priority. A backend that is missing or not usable here is a CliError saying what to install.
 * For 'auto', `report` gets one line, "backend: wasm (auto: ...)" (default: none, so stdout and
 * stderr stay as they were; `myelin info` shows what auto picks here).
 */
export async function activateBackend(name: string, report: (line: string) => void = () => {}): Promise<Backend> {
  const { backend, choice } = await selectBackend(name);
  if (choice !== null) report(`backend: ${backend.name} (${choice})`);
  return backend;
}

/** activateBackend without the report: the backend and, for 'auto', why it was chosen. */
export async function selectBackend(name: string): Promise<ActivatedBackend> {
  if (name === AUTO) {
    let choice;
    try {
      choice = await chooseBackend(descriptors(await loadDescriptors()), probe);
    } catch (error) {
      throw new CliError(`--backend auto found no backend to run on: ${(error as Error).message}`);
    }
    return { backend: await start(choice.descriptor), choice: describeChoice(choice) };
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new UsageError(
      `invalid value for backend (--backend): got ${describeValue(name)}; allowed: ${AUTO}, ${(await installedBackendNames()).join(', ')} (see myelin info)`,
    );
  }
  if (registeredBackends().includes(name)) return { backend: setBackend(name), choice: null };
  let descriptor = descriptors(await loadDescriptors()).find((d) => d.name === name);
  if (descriptor === undefined) {
    const entry = await loadBackendDescriptor(packageNameOf(name), importPackage);
    if (!('descriptor' in entry)) {
      const known = BACKEND_PACKAGES.includes(entry.packageName);
      throw new CliError(
        `backend '${name}' is not available: ${entry.problem}${!entry.installed && known ? ` (npm install ${entry.packageName})` : ''}. Installed backends: ${(await installedBackendNames()).join(', ')} (myelin info shows which work here)`,
      );
    }
    descriptor = entry.descriptor;
  }
  const result = await probe(descriptor);
  if (!result.usable)
    throw new CliError(
      `backend '${name}' (${descriptor.packageName}) is installed but not usable here: ${result.reason ?? 'its probe() said so'}`,
    );
  return { backend: await start(descriptor), choice: null };
}

async function start(descriptor: AnyBackendDescriptor): Promise<Backend> {
  let backend: Backend;
  try {
    backend = await descriptor.register();
  } catch (error) {
    throw new CliError(`backend '${descriptor.name}' failed to start: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  return setBackend(backend.name);
}
