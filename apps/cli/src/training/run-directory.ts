import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@myelin/core/node';
import { CliError } from '../errors.js';

// A run directory: config.json, metrics.jsonl + metrics.csv (one record per epoch), the
// checkpoints (best.*, last.*) and loss/accuracy plots. Whole files are replaced atomically;
// metric lines are appended with one synchronous write each, so a second Ctrl-C (which exits
// at once) never leaves half a line.

/** One epoch's numbers as logged: `epoch` is 1-based (epochs completed). */
export type EpochRecord = Record<string, number> & { epoch: number };

const pad = (n: number): string => String(n).padStart(2, '0');

function timestamp(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/**
 * Makes `<outputDir>/<name>` (name: the given one, else `<prefix>-<date>-<time>`, with -2, -3...
 * when taken). A new output directory gets a .gitignore of '*', so runs never land in git.
 */
export function createRunDirectory(outputDir: string, name: string | null, prefix: string): string {
  try {
    return makeRunDirectory(outputDir, name, prefix);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const reason =
      {
        ENOTDIR: 'a part of the path is a file, not a directory',
        EROFS: 'the file system is read-only',
        EACCES: 'permission denied',
        EPERM: 'operation not permitted',
        ENOSPC: 'no space left on the device',
        EEXIST: 'it exists and is not a directory',
      }[code] ?? (error as Error).message;
    throw new CliError(`cannot create a run directory in ${outputDir} (--output): ${reason} (${code})`);
  }
}

function makeRunDirectory(outputDir: string, name: string | null, prefix: string): string {
  if (!existsSync(outputDir)) {
    mkdirSync(outputDir, { recursive: true });
    try {
      writeFileSync(path.join(outputDir, '.gitignore'), '# made by myelin: run directories stay out of git\n*\n', {
        flag: 'wx',
      });
    } catch {
      // Only a convenience.
    }
  }
  const base = name ?? `${prefix}-${timestamp(new Date())}`;
  for (let attempt = 1; ; attempt++) {
    const candidate = path.join(outputDir, attempt === 1 ? base : `${base}-${attempt}`);
    try {
      mkdirSync(candidate); // fails if it exists: two runs never share a directory
      return candidate;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      if (name !== null && attempt === 1) {
        // An explicit name that is taken gets a suffix too, but say so.
        console.warn(`myelin: ${candidate} exists; using ${base}-2 (or the next free suffix)`);
      }
    }
  }
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

const FIXED_LAST = ['lr', 'duration', 'samples_per_second'];

/** Column order: epoch, train values, validation values, then lr and timings. */
export function columnsOf(records: readonly EpochRecord[]): string[] {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'epoch');
  const train = keys.filter((k) => !k.startsWith('val_') && !FIXED_LAST.includes(k));
  const validation = keys.filter((k) => k.startsWith('val_'));
  return ['epoch', ...train, ...validation, ...FIXED_LAST.filter((k) => keys.includes(k))];
}

function csvLine(columns: readonly string[], record: EpochRecord): string {
  return `${columns.map((c) => (record[c] === undefined ? '' : String(record[c]))).join(',')}\n`;
}

/** metrics.jsonl and metrics.csv of a run. */
export class MetricsLog {
  readonly records: EpochRecord[];
  #columns: string[] | null = null;

  constructor(
    readonly directory: string,
    records: readonly EpochRecord[] = [],
  ) {
    this.records = [...records];
  }

  get jsonlPath(): string {
    return path.join(this.directory, 'metrics.jsonl');
  }

  get csvPath(): string {
    return path.join(this.directory, 'metrics.csv');
  }

  /** Rewrites both files from the records (a new run, or a resumed one cut back to its checkpoint). */
  async rewrite(): Promise<void> {
    this.#columns = this.records.length > 0 ? columnsOf(this.records) : null;
    await writeFileAtomic(this.jsonlPath, this.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await writeFileAtomic(
      this.csvPath,
      this.#columns
        ? `${this.#columns.join(',')}\n${this.records.map((r) => csvLine(this.#columns!, r)).join('')}`
        : '',
    );
  }

  append(record: EpochRecord): void {
    this.records.push(record);
    appendFileSync(this.jsonlPath, `${JSON.stringify(record)}\n`);
    if (this.#columns === null) {
      this.#columns = columnsOf([record]);
      appendFileSync(this.csvPath, `${this.#columns.join(',')}\n`);
    }
    appendFileSync(this.csvPath, csvLine(this.#columns, record));
  }

  /**
   * The records up to `epochs` completed epochs (a resumed run drops later ones): those of
   * metrics.jsonl, and for an epoch it lacks (a damaged or deleted line) the row metrics.csv
   * still holds, so rewriting both files on a resume does not lose it; `notice` is told which.
   */
  static read(directory: string, epochs: number, notice?: (text: string) => void): EpochRecord[] {
    const kept = (r: EpochRecord): boolean => Number.isInteger(r.epoch) && r.epoch >= 1 && r.epoch <= epochs;
    const records = readJsonl(path.join(directory, 'metrics.jsonl')).filter(kept);
    const known = new Set(records.map((r) => r.epoch));
    const recovered = readCsv(path.join(directory, 'metrics.csv'))
      // One row per epoch: the first whole one.
      .filter((r) => kept(r) && !known.has(r.epoch) && Boolean(known.add(r.epoch)));
    if (recovered.length === 0) return records;
    notice?.(
      `metrics.jsonl lacked epoch${recovered.length > 1 ? 's' : ''} ${recovered.map((r) => r.epoch).join(', ')}; kept from metrics.csv`,
    );
    return [...records, ...recovered].sort((a, b) => a.epoch - b.epoch);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readJsonl(file: string): EpochRecord[] {
  return readText(file)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        const record = JSON.parse(line) as unknown;
        return record !== null && typeof record === 'object' && typeof (record as EpochRecord).epoch === 'number'
          ? [record as EpochRecord]
          : [];
      } catch {
        return []; // a line cut by a crash
      }
    });
}

/** The rows of metrics.csv that are whole (as many numbers as the header has columns). */
function readCsv(file: string): EpochRecord[] {
  const [header, ...rows] = readText(file).split('\n');
  const columns = header?.split(',') ?? [];
  if (columns[0] !== 'epoch') return [];
  return rows.flatMap((row) => {
    const cells = row.split(',');
    if (cells.length !== columns.length) return [];
    const record: Record<string, number> = {};
    for (const [i, column] of columns.entries()) {
      if (cells[i] === '') continue; // a value this epoch did not log
      const value = Number(cells[i]);
      if (Number.isNaN(value) && cells[i] !== 'NaN') return [];
      record[column] = value;
    }
    return typeof record.epoch === 'number' ? [record as EpochRecord] : [];
  });
}

/** Renders loss.svg and accuracy.svg (train vs validation per epoch) with @myelin/plot; returns the files written. */
export async function writePlots(directory: string, records: readonly EpochRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const { renderChartSvg, historyChart } = await import('@myelin/plot'); // vega loads only when a run ends
  const columns = columnsOf(records);
  const history: Record<string, number[]> = { epoch: records.map((r) => r.epoch - 1) };
  for (const column of columns) if (column !== 'epoch') history[column] = records.map((r) => r[column] ?? Number.NaN);
  const charts: [string, string[], string, string][] = [['loss.svg', ['loss', 'val_loss'], 'Loss per epoch', 'loss']];
  const metrics = columns.filter((c) => !c.startsWith('val_') && !['epoch', 'loss', ...FIXED_LAST].includes(c));
  if (metrics.length > 0)
    charts.push([
      `${metrics.includes('accuracy') ? 'accuracy' : metrics[0]}.svg`,
      metrics.flatMap((m) => [m, `val_${m}`]),
      `${metrics.join(', ')} per epoch`,
      metrics.length === 1 ? metrics[0]! : 'value',
    ]);
  const written: string[] = [];
  for (const [file, names, title, label] of charts) {
    const svg = await renderChartSvg(historyChart(history, names, title, label));
    await writeFileAtomic(path.join(directory, file), svg);
    written.push(file);
  }
  return written;
}
