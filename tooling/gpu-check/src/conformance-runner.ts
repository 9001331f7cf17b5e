// The standalone conformance runner: `node conformance.mjs --backend cuda` runs a backend's own
// conformance test file (see suites.js) through the vitest shim, prints one line per test and
// vitest's totals line, and exits non-zero when a test fails, when a hook or an unhandled rejection
// errs, or when nothing passed (a suite that skipped itself entirely is no green check).
//   --backend <name>   one of the names in suites.js (required)
//   --list             print the registered tests and their count, run nothing
//   --timeout <ms>     per-test timeout where a test names none (default 60000, as vitest here)
import { runConformanceFile } from './runner.js';
import { SUITES } from './suites.js';

const flag = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};

async function main(): Promise<number> {
  const backend = flag('backend');
  const load = backend === undefined ? undefined : SUITES[backend];
  if (backend === undefined || load === undefined) {
    console.error(`usage: conformance --backend <${Object.keys(SUITES).join('|')}> [--list] [--timeout ms]`);
    return 2;
  }
  console.log(`conformance runner: backend ${backend}, node ${process.version} ${process.platform}-${process.arch}`);
  return runConformanceFile({
    backend,
    load,
    list: process.argv.includes('--list'),
    timeout: Number(flag('timeout') ?? 60_000),
  });
}

const code = await main();
// Dawn and GPU runtimes can hold the event loop open: leave once stdout has drained.
process.stdout.write('', () => process.exit(code));
