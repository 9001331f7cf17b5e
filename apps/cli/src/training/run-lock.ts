import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { displayPath } from './describe.js';

// One writer per run directory: `train` holds <run>/.lock (created with O_EXCL, holding the host
// name, pid and start time) from before it writes anything until it exits. A second `train` on
// the same directory is refused with exit code 1 (a failure to run now, not a bad flag: the
// same command works once the other process is done). A lock left by a process of this host
// that no longer runs (a SIGKILL, a crash) is stale: it is taken over with a notice. A lock
// of another host cannot be checked, so it is refused and names the file to remove.

export const LOCK_FILE = '.lock';

interface LockInfo {
  host: string;
  pid: number;
  since: string;
}

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof info.host === 'string' && typeof info.pid === 'number' && Number.isInteger(info.pid))
      return { host: info.host, pid: info.pid, since: typeof info.since === 'string' ? info.since : 'an unknown time' };
  } catch {
    // Unreadable: a writer killed between creating and filling it (it is a few bytes), or damaged.
  }
  return null;
}

/** Whether a process of this host runs with `pid` (EPERM: it runs, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held lock; release() (also run on exit, including after SIGINT/SIGTERM) removes it. */
export class RunLock {
  #released = false;
  readonly #onExit = (): void => this.release();

  private constructor(readonly file: string) {
    process.once('exit', this.#onExit);
  }

  /** Takes the lock of `directory`, or throws a CliError naming the process that holds it. */
  static acquire(
    directory: string,
    notice: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
  ): RunLock {
    const file = path.join(directory, LOCK_FILE);
    const host = hostname();
    const content = `${JSON.stringify({ host, pid: process.pid, since: new Date().toISOString() })}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(file, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new CliError(
            `cannot lock the run directory ${displayPath(directory)}: ${(error as Error).message.split('\n')[0]}`,
          );
        }
        const holder = readLock(file);
        if (holder !== null && (holder.host !== host || alive(holder.pid)) && holder.pid !== process.pid) {
          const where = holder.host === host ? `process ${holder.pid}` : `process ${holder.pid} on host ${holder.host}`;
          throw new CliError(
            `the run directory ${displayPath(directory)} is in use by ${where} (myelin train since ${holder.since}); wait for it to finish or stop it${holder.host === host ? '' : `, or remove ${displayPath(file)} if that process is gone`}`,
            EXIT.failure,
          );
        }
        notice(
          `myelin: taking over the stale lock of ${displayPath(directory)} (${holder === null ? 'unreadable' : `process ${holder.pid} of this host no longer runs; it held it since ${holder.since}`})`,
        );
        try {
          unlinkSync(file);
        } catch {
          // Another process removed it first: try again.
        }
        continue;
      }
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      return new RunLock(file);
    }
    throw new CliError(`cannot lock the run directory ${displayPath(directory)}: another process keeps taking it`);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    process.off('exit', this.#onExit);
    try {
      // Only our own lock: never one a later process took over.
      if (readLock(this.file)?.pid === process.pid) unlinkSync(this.file);
    } catch {
      // Already gone.
    }
  }
}
