// Types of index.mjs (a plain module: the build scripts run before any TypeScript is compiled).
export declare const CXX: string;
export declare const SANITIZE_FLAGS: readonly string[];
/** The shared N-API glue's include directory (-I) and sources (.cc, absolute paths). */
export declare const GLUE_INCLUDE: string;
export declare const GLUE_SOURCES: readonly string[];
/** The shared glue's headers and sources (absolute paths). */
export declare function glueFiles(): string[];
export declare function compilerRuns(compiler?: string): boolean;
/** The folder above the build script's own (pass `import.meta.url`). */
export declare function packageRoot(scriptUrl: string): string;
/** `--sanitize` on the command line, or `variable`=1. */
export declare function sanitizeRequested(variable?: string): boolean;
export interface SkipBuildOptions {
  packageName: string;
  outDir: string;
  addon: string;
  reason: string;
  advice?: string;
}
export declare function skipBuild(options: SkipBuildOptions): never;
/** skipBuild with everything but the reason fixed. */
export declare function skipBuildWith(options: Omit<SkipBuildOptions, 'reason'>): (reason: string) => never;
/** The Node-API headers' directory; ends the build through `fail` without them or a C++ compiler. */
export declare function checkHostToolchain(fail: (reason: string) => never): string;
export declare function reportBuilt(options: {
  packageName: string;
  root: string;
  outDir: string;
  output: string;
  started: number;
  note?: string;
}): void;
export declare function nodeApiInclude(): string | null;
export declare function runTool(
  tool: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stderr: string }>;
export declare function runPool<T>(
  items: readonly T[],
  jobs: number,
  task: (item: T) => Promise<boolean>,
): Promise<T[]>;
export declare function asanEnvironment(extra?: {
  asanOptions?: string;
}):
  | { env: { LD_PRELOAD: string; ASAN_OPTIONS: string; UBSAN_OPTIONS: string }; error?: undefined }
  | { env?: undefined; error: string };
export declare function tsanEnvironment():
  { env: { LD_PRELOAD: string; TSAN_OPTIONS: string }; error?: undefined } | { env?: undefined; error: string };
