import { Command, CommanderError, Option } from 'commander';
import { EVALUATE_DATA_FLAGS, EVALUATE_SPLITS, evaluate } from './commands/evaluate.js';
import { info } from './commands/info.js';
import { predict } from './commands/predict.js';
import { train } from './commands/train.js';
import { presetNames } from './config/load.js';
import { CONFIG_OPTIONS, shownDefault } from './config/options.js';
import { EXIT, UsageError, reportError } from './errors.js';
import { AUTO } from './backends.js';
import { CLI_VERSION } from './version.js';

type Action = () => Promise<number>;

/** Config-option flags given on the command line, by flag name (text as typed). */
function givenFlags(command: Command, names: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const option of command.options) {
    const flag = option.long?.replace(/^--/, '');
    if (flag === undefined || !names.includes(flag)) continue;
    const value: unknown = command.getOptionValue(option.attributeName());
    if (value !== undefined) flags.set(flag, String(value));
  }
  return flags;
}

function addConfigOptions(command: Command, names?: readonly string[], defaultText?: string): Command {
  for (const option of CONFIG_OPTIONS) {
    if (names && !names.includes(option.flag)) continue;
    command.addOption(
      new Option(
        `--${option.flag} ${option.argument}`,
        `${option.description} (default: ${defaultText ?? shownDefault(option)})`,
      ),
    );
  }
  return command;
}

/** The program; `run` receives each command's action, so main can report errors and exit codes in one place. */
export function buildProgram(run: (action: Action) => void): Command {
  const program = new Command('myelin')
    .description('Train, evaluate and run Myelin neural networks from the command line.')
    .version(CLI_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, helpWidth: 100 });

  const trainCommand = program
    .command('train')
    .description(
      'Train a model: progress per epoch, a run directory with the config, metrics, checkpoints and plots. Flags override the config file.',
    )
    .option('--config <file>', 'JSON or YAML run config (flags override it) (default: none: the built-in digits MLP)')
    .option('--preset <name>', `a shipped config: ${presetNames().join(', ')} (default: none)`)
    .option('--resume <run-dir>', "continue an interrupted run from its 'last' checkpoint, exactly (default: none)")
    .option(
      '--memory-budget <size>',
      'memory the model, its optimizer state, the dataset and decoded images may take, e.g. 2GiB, 512MB; checked before each is allocated (default: half the physical memory)',
    );
  addConfigOptions(trainCommand)
    .option('--no-progress', 'plain lines instead of a progress bar (the default when stdout is not a terminal)')
    .option(
      '--distributed <mode>',
      'mpi: data-parallel over MPI, one process per rank, --batch-size per rank (default: mpi when started by mpirun, else none)',
    )
    .option('--verbose', 'print stack traces on errors (default: off)')
    .addHelpText(
      'after',
      `
Examples:
  myelin train                                   the digits MLP on --backend auto (the defaults above)
  myelin train --preset fashion-mnist --epochs 3
  myelin train --config my-run.json --lr 0.01    a flag overrides the file
  myelin train --resume runs/digits-20250101-120000
  mpirun -np 2 myelin train --preset fashion-mnist   data-parallel on 2 processes (as root: --allow-run-as-root)

Ctrl-C stops after the current batch and saves 'last'; a second Ctrl-C quits at once.
Exit codes: 0 done, 1 failed (also: the run directory is in use by another myelin train), 2 bad flag or config, 130 interrupted (143 after SIGTERM).`,
    )
    .action(
      (
        options: {
          config?: string;
          preset?: string;
          resume?: string;
          memoryBudget?: string;
          progress: boolean;
          distributed?: string;
        },
        command: Command,
      ) =>
        run(() =>
          train({
            ...pick(options, ['config', 'preset', 'resume', 'memoryBudget', 'distributed']),
            progress: options.progress,
            flags: givenFlags(
              command,
              CONFIG_OPTIONS.map((o) => o.flag),
            ),
          }),
        ),
    );

  const evaluateCommand = program
    .command('evaluate')
    .description(
      "Loss, metrics and a confusion matrix of a checkpoint on its run's test data (the same preprocessing), or on other data.",
    )
    .argument('<checkpoint>', 'a run directory (its best checkpoint) or a checkpoint: runs/<run>/last, .../best.json')
    .option(
      '--split <name>',
      `which data: ${EVALUATE_SPLITS.join(', ')} (default: test; all when --data or --data-path is given)`,
    )
    .option('--backend <name>', 'compute backend, or auto: the usable one of highest priority (default: auto)')
    .option('--batch-size <n>', 'samples per batch (default: 256)');
  addConfigOptions(evaluateCommand, EVALUATE_DATA_FLAGS, "the run's own")
    .option('--json', 'print the results as JSON (default: off)')
    .option('--verbose', 'print stack traces on errors (default: off)')
    .action(
      (
        checkpoint: string,
        options: { split?: string; backend?: string; batchSize?: string; json?: boolean },
        command: Command,
      ) =>
        run(() =>
          evaluate({
            checkpoint,
            ...pick(options, ['split', 'batchSize']),
            backend: options.backend ?? AUTO,
            json: options.json === true,
            flags: givenFlags(command, EVALUATE_DATA_FLAGS),
          }),
        ),
    );

  program
    .command('predict')
    .description(
      'Predict with a checkpoint: each input is an image file, a CSV row ("5.1,3.5,1.4,0.2") or file of rows, or an index into the run\'s test data.',
    )
    .argument('<checkpoint>', 'a run directory (its best checkpoint) or a checkpoint: runs/<run>/last, .../best.json')
    .argument('<input...>', 'image file, CSV row or file, or sample index')
    .option('--top <k>', 'classes to list per input (default: 3)')
    .option('--split <name>', 'the data a sample index refers to: test, validation, train (default: test)')
    .option('--backend <name>', 'compute backend, or auto: the usable one of highest priority (default: auto)')
    .option('--json', 'print the predictions as JSON (default: off)')
    .option('--verbose', 'print stack traces on errors (default: off)')
    .action(
      (
        checkpoint: string,
        inputs: string[],
        options: { top?: string; split?: string; backend?: string; json?: boolean },
      ) =>
        run(() =>
          predict({
            checkpoint,
            inputs,
            ...pick(options, ['top', 'split']),
            backend: options.backend ?? AUTO,
            json: options.json === true,
          }),
        ),
    );

  program
    .command('info')
    .description('Versions, this machine, and every backend: installed or not, usable here or why not.')
    .option('--json', 'print as JSON (default: off)')
    .option('--verbose', 'print stack traces on errors (default: off)')
    .action((options: { json?: boolean }) => run(() => info({ json: options.json === true })));

  return program;
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) picked[key] = object[key];
  return picked;
}

/** Runs the CLI on `argv` (process.argv form); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let pending: Promise<number> | null = null;
  const program = buildProgram((action) => {
    pending = action();
  });
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ outputError: () => undefined });
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT.ok;
      const command = argv.slice(2).find((a) => program.commands.some((c) => c.name() === a));
      const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      return fail(
        new UsageError(
          `${message}${message.endsWith('.') || message.endsWith(')') ? '' : '.'} See myelin ${command ?? ''}${command ? ' ' : ''}--help for every option.`,
        ),
        verbose,
      );
    }
    return fail(error, verbose);
  }
  if (pending === null) {
    process.stdout.write(program.helpInformation());
    return argv.length > 2 ? EXIT.usage : EXIT.ok;
  }
  try {
    return await (pending as Promise<number>);
  } catch (error) {
    return fail(error, verbose);
  }
}

function fail(error: unknown, verbose: boolean): number {
  const { exitCode, text } = reportError(error, verbose);
  process.stderr.write(`${text}\n`);
  return exitCode;
}
