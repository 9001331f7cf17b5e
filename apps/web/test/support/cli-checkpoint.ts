// A checkpoint written by the real CLI: `myelin train` on the digits for a few epochs, into a
// temporary run directory. Returns the paths of its 'best' files.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../../cli/dist/bin.js');

export async function trainWithCli(epochs = 3): Promise<{ directory: string; files: string[] }> {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build @myelin/cli first (turbo builds it before this package's tests)`);
  const output = mkdtempSync(path.join(tmpdir(), 'myelin-web-cli-'));
  await promisify(execFile)(
    process.execPath,
    [
      CLI,
      'train',
      '--epochs',
      String(epochs),
      '--hidden',
      '32,16',
      '--output',
      output,
      '--name',
      'cli-digits',
      '--no-progress',
    ],
    { cwd: output, timeout: 120_000 },
  );
  const directory = path.join(output, 'cli-digits');
  const files = ['best.json', 'best.safetensors', 'best.optimizer.safetensors'].map((f) => path.join(directory, f));
  for (const file of files) if (!existsSync(file)) throw new Error(`myelin train did not write ${file}`);
  return { directory, files };
}
