// Loading a native addon (backend-cpu's, backend-cuda's): the plain or the sanitizer build or an
// override path, the reason a missing one was not built (its build's BUILD-FAILED.txt), and
// core's error classes handed to the addon so its errors are instances of them.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ArgumentError, BackendError, DisposedTensorError, ShapeError, UnsupportedOpError } from '../errors.js';

/** A loaded addon and its path, or the path and why it could not be loaded. */
export type NativeAddonLoad<Addon> =
  { addon: Addon; path: string; error?: undefined } | { addon?: undefined; path: string; error: string };

/** What every addon takes first: the constructors of the errors it throws (core's, then its own). */
export interface NativeAddonErrors {
  setErrorClasses(...classes: unknown[]): void;
}

/**
 * The addon's path for this process: `override` when set (an `$…_ADDON` variable), else the
 * sanitizer build when `sanitize`, else the plain build.
 */
export function nativeAddonPath(options: {
  override: string | undefined;
  sanitize: boolean;
  plain: string;
  sanitized: string;
}): string {
  if (options.override) return options.override;
  return options.sanitize ? options.sanitized : options.plain;
}

/**
 * Loads the addon at `file` and gives it core's error classes (BackendError, ShapeError,
 * UnsupportedOpError, DisposedTensorError, ArgumentError) followed by `extraErrorClasses`. A
 * missing build output (named `built`, e.g. myelin_cpu.node) is reported with the
 * BUILD-FAILED.txt its build left beside it, if any; `advice` (e.g. what to install) is appended
 * to either error.
 */
export function loadNativeAddon<Addon extends NativeAddonErrors>(
  file: string,
  options: { built: string; extraErrorClasses?: readonly unknown[]; advice?: string },
): NativeAddonLoad<Addon> {
  const advice = options.advice ? `; ${options.advice}` : '';
  if (!existsSync(file)) {
    const marker = path.basename(file) === options.built ? path.join(path.dirname(file), 'BUILD-FAILED.txt') : null;
    const why =
      marker !== null && existsSync(marker)
        ? `the build said: ${readFileSync(marker, 'utf8').trim()}`
        : 'it was not built';
    return { path: file, error: `the native addon ${file} is missing (${why})${advice}` };
  }
  try {
    const addon = createRequire(import.meta.url)(file) as Addon;
    addon.setErrorClasses(
      BackendError,
      ShapeError,
      UnsupportedOpError,
      DisposedTensorError,
      ArgumentError,
      ...(options.extraErrorClasses ?? []),
    );
    return { addon, path: file };
  } catch (error) {
    return { path: file, error: `the native addon ${file} did not load (${(error as Error).message})${advice}` };
  }
}
