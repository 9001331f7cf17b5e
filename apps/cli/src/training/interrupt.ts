import { EXIT } from '../errors.js';

type Phase = 'setup' | 'training' | 'finishing';

/**
 * Ctrl-C (SIGINT) and SIGTERM. While training, the first one only raises a flag: the interrupt
 * callback sees it after the current batch, sets `context.stopTraining` and writes `last`. A
 * second one, or one outside training, exits at once: every file already written is complete,
 * because checkpoints and whole files are replaced atomically and metric lines are single
 * synchronous writes.
 */
export class InterruptController {
  phase: Phase = 'setup';
  requested: NodeJS.Signals | null = null;
  /** Called on the first signal while training (the progress display prints the notice). */
  onRequest: (message: string) => void = (message) => process.stderr.write(`${message}\n`);
  readonly #handler = (signal: NodeJS.Signals): void => this.#handle(signal);

  install(): this {
    process.on('SIGINT', this.#handler);
    process.on('SIGTERM', this.#handler);
    return this;
  }

  uninstall(): void {
    process.off('SIGINT', this.#handler);
    process.off('SIGTERM', this.#handler);
  }

  static exitCodeOf(signal: NodeJS.Signals): number {
    return signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  }

  #handle(signal: NodeJS.Signals): void {
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    if (this.phase === 'training' && this.requested === null) {
      this.requested = signal;
      this.onRequest(
        `\nmyelin: ${name}: stopping after the current batch and saving the 'last' checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again quits at once)`,
      );
      return;
    }
    const state =
      this.phase === 'setup'
        ? 'stopped before training started'
        : this.phase === 'finishing'
          ? 'stopped after training; its checkpoints are complete'
          : 'stopped at once; the files already written are complete (resume from the last saved checkpoint)';
    process.stderr.write(`\nmyelin: ${name}: ${state}\n`);
    process.exit(InterruptController.exitCodeOf(signal));
  }
}
