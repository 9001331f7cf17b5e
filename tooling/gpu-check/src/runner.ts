// The conformance runner's work, apart from its command line (conformance-runner.ts) so that the
// tests can drive it: load a test file (which registers its tests with the vitest shim), run what
// it registered, print one line per test and vitest's totals, and say which exit code that earns.
import { listCollected, runCollected, type TestReport } from './vitest-shim.js';

/** The report's lines; a failure with the same error as the one before is not printed again. */
function line(report: TestReport, previousError: { detail?: string }): string {
  const mark = { passed: '✓', failed: '✗', skipped: '↓', todo: '□' }[report.state];
  const time = report.state === 'passed' || report.state === 'failed' ? ` (${report.milliseconds} ms)` : '';
  const note = report.state === 'skipped' && report.detail ? ` [skipped: ${report.detail}]` : '';
  const lines = [`${mark} ${report.name}${time}${note}`];
  for (const annotation of report.annotations) lines.push(`    note: ${annotation}`);
  if (report.state === 'failed' && report.detail) {
    if (report.detail === previousError.detail) lines.push('    (the same error as the test before)');
    else lines.push(...report.detail.split('\n').map((l) => `    ${l}`));
    previousError.detail = report.detail;
  }
  return lines.join('\n');
}

export interface RunnerOptions {
  /** Shown in the RESULT line. */
  backend: string;
  /** Imports the test file. */
  load: () => Promise<unknown>;
  /** Print the registered tests and their count, run nothing. */
  list?: boolean;
  /** Per-test timeout where a test names none. */
  timeout?: number;
  print?: (text: string) => void;
}

/**
 * Loads, runs and reports; resolves with the exit code: 0 when every test that ran passed and at
 * least one did, 1 on a failure, a hook error, an unhandled rejection or nothing passed, 2 when
 * the test file did not load.
 */
export async function runConformanceFile(options: RunnerOptions): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  const { backend } = options;
  try {
    await options.load(); // the test file registers its describe/it blocks as it is evaluated
  } catch (error) {
    print(`loading the ${backend} conformance test file failed: ${(error as Error).stack ?? String(error)}`);
    print(`RESULT conformance ${backend}: FAIL the test file did not load`);
    return 2;
  }
  if (options.list) {
    const names = listCollected();
    for (const name of names) print(name);
    print(`${names.length} tests registered`);
    return 0;
  }

  let unhandled = 0;
  const onUnhandled = (reason: unknown) => {
    unhandled++;
    print(`✗ unhandled rejection (fails the run, as in vitest): ${String(reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);
  const started = performance.now();
  const previousError: { detail?: string } = {};
  const totals = await runCollected({
    report: (report) => print(line(report, previousError)),
    timeout: options.timeout,
  });
  process.off('unhandledRejection', onUnhandled);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  const parts = [`${totals.passed} passed`];
  if (totals.failed) parts.push(`${totals.failed} failed`);
  if (totals.skipped) parts.push(`${totals.skipped} skipped`);
  if (totals.todo) parts.push(`${totals.todo} todo`);
  const errors = totals.hookErrors + unhandled;
  print('');
  print(`      Tests  ${parts.join(' | ')} (${totals.total})`);
  if (errors > 0) print(`     Errors  ${errors}`);
  print(`   Duration  ${seconds}s`);
  const ok = totals.failed === 0 && errors === 0 && totals.passed > 0;
  print(
    `RESULT conformance ${backend}: ${ok ? 'PASS' : 'FAIL'} ${totals.passed} passed, ${totals.failed} failed, ` +
      `${totals.skipped} skipped, ${totals.todo} todo, ${totals.total} tests` +
      (errors > 0 ? `, ${errors} errors` : '') +
      (totals.passed === 0 ? ' (nothing passed: the suite did not run here)' : ''),
  );
  return ok ? 0 : 1;
}
