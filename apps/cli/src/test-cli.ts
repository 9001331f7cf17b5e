// Test helpers: run the built `myelin` binary (dist/bin.js) as a subprocess, the way users do.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const PRESETS = fileURLToPath(new URL('../configs/', import.meta.url));

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build @myelin/cli first (pnpm test builds it)`);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment the CLI sees: no pnpm script variables, so hints say `myelin ...`. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  return env;
}

/** Starts `node dist/bin.js ...args` in `cwd`; `done` resolves when it exits. */
export function startCli(
  args: readonly string[],
  cwd: string,
): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: readonly string[], cwd: string): Promise<CliResult> {
  return startCli(args, cwd).done;
}

/** A fresh temporary directory; remove it with removeDirectory. */
export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `myelin-cli-${prefix}-`));
}

export function removeDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

/** Resolves once `file` exists (polling), or rejects after `timeoutMs`. */
export async function waitForFile(file: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function readLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** A small image folder (3 classes told apart by their dominant colour, mixed sizes), PNGs made with sharp. */
export async function makeImageFolder(root: string, perClass = 12): Promise<string[]> {
  const sharp = (await import('sharp')).default;
  const classes = ['Cloudy', 'Rain', 'Shine'];
  let state = 7;
  const random = (): number => (state = (state * 16807) % 2147483647) / 2147483647;
  for (const [k, name] of classes.entries()) {
    mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const width = 20 + (i % 3) * 6;
      const height = 18 + (i % 2) * 8;
      const pixels = Buffer.alloc(width * height * 3);
      for (let p = 0; p < width * height; p++)
        for (let c = 0; c < 3; c++) pixels[p * 3 + c] = Math.min(255, Math.round((c === k ? 170 : 40) + random() * 80));
      await sharp(pixels, { raw: { width, height, channels: 3 } })
        .png()
        .toFile(path.join(root, name, `image-${i}.png`));
    }
  }
  return classes;
}

/** The last `Results` table row values of a train run's output, by column. */
export function finalResults(stdout: string): Record<string, number> {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.trim().startsWith('checkpoint'));
  if (header < 0) throw new Error(`no results table in:\n${stdout}`);
  const names = lines[header]!.trim()
    .split(/\s{2,}/)
    .slice(1);
  const cells = lines[header + 1]!.trim()
    .split(/\s{2,}/)
    .slice(1)
    .map(Number);
  return Object.fromEntries(names.map((name, i) => [name, cells[i]!]));
}
