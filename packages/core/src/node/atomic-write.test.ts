import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, removeStaleTemporaries, writeFileAtomic, type FileSystemOperations } from './index.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'myelin-atomic-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** node:fs/promises with every call logged, so a test can check the order of writes, syncs and renames. */
function recordingFileSystem(log: string[], overrides: Partial<FileSystemOperations> = {}): FileSystemOperations {
  const short = (file: string): string =>
    file.replace(directory, '<dir>').replace(/\.[0-9a-z-]+\.tmp$/, '.<unique>.tmp');
  return {
    ...nodeFileSystem,
    async open(file, flags) {
      log.push(`open ${short(file)} ${flags}`);
      const handle = await nodeFileSystem.open(file, flags);
      return {
        writeFile: async (data) => {
          log.push(`write ${short(file)}`);
          await handle.writeFile(data);
        },
        sync: async () => {
          log.push(`sync ${short(file)}`);
          await handle.sync();
        },
        close: async () => {
          log.push(`close ${short(file)}`);
          await handle.close();
        },
      };
    },
    async rename(from, to) {
      log.push(`rename ${short(from)} -> ${short(to)}`);
      await (overrides.rename ?? nodeFileSystem.rename)(from, to);
    },
  };
}

describe('writeFileAtomic', () => {
  it('writes a temp file, fsyncs it, renames it over the target, then fsyncs the directory', async () => {
    const log: string[] = [];
    const target = join(directory, 'metrics.json');
    await writeFileAtomic(target, '{"loss": 1}', { fileSystem: recordingFileSystem(log) });
    expect(await readFile(target, 'utf8')).toBe('{"loss": 1}');
    expect(log).toEqual([
      'open <dir>/.metrics.json.<unique>.tmp wx',
      'write <dir>/.metrics.json.<unique>.tmp',
      'sync <dir>/.metrics.json.<unique>.tmp',
      'close <dir>/.metrics.json.<unique>.tmp',
      'rename <dir>/.metrics.json.<unique>.tmp -> <dir>/metrics.json',
      'open <dir> r',
      'sync <dir>',
      'close <dir>',
    ]);
    expect(await readdir(directory)).toEqual(['metrics.json']);
  });

  it('replaces an existing file with bytes', async () => {
    const target = join(directory, 'data.bin');
    await writeFile(target, 'old');
    await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(target))]).toEqual([1, 2, 3]);
  });

  it('leaves the old file intact and no temp file behind when the rename fails', async () => {
    const target = join(directory, 'config.json');
    await writeFile(target, 'old contents');
    const failing = recordingFileSystem([], {
      rename: async () => {
        throw Object.assign(new Error('simulated crash before rename'), { code: 'EIO' });
      },
    });
    await expect(writeFileAtomic(target, 'new contents', { fileSystem: failing })).rejects.toThrow(
      /simulated crash before rename/,
    );
    expect(await readFile(target, 'utf8')).toBe('old contents');
    expect(await readdir(directory)).toEqual(['config.json']);
  });

  it('leaves the old file intact when the write itself fails (a full disk)', async () => {
    const target = join(directory, 'config.json');
    await writeFile(target, 'old contents');
    const fullDisk: FileSystemOperations = {
      ...nodeFileSystem,
      async open(file, flags) {
        const handle = await nodeFileSystem.open(file, flags);
        return {
          ...handle,
          writeFile: async () => {
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          },
          sync: () => handle.sync(),
          close: () => handle.close(),
        };
      },
    };
    await expect(writeFileAtomic(target, 'new contents', { fileSystem: fullDisk })).rejects.toThrow(/ENOSPC/);
    expect(await readFile(target, 'utf8')).toBe('old contents');
    expect(await readdir(directory)).toEqual(['config.json']);
  });
});

describe('removeStaleTemporaries', () => {
  it("deletes the temporaries of dead processes only: this process's and other files stay", async () => {
    const files = [
      `.metrics.jsonl.${process.pid}-abc-def.tmp`, // this process: maybe mid-write
      '.metrics.jsonl.999999999-abc-def.tmp', // no such process: left by a kill
      '.last.safetensors.999999999-k2-x9.tmp',
      'notes.tmp',
      'last.json',
    ];
    for (const file of files) await writeFile(join(directory, file), 'x');
    expect((await removeStaleTemporaries(directory)).sort()).toEqual([
      '.last.safetensors.999999999-k2-x9.tmp',
      '.metrics.jsonl.999999999-abc-def.tmp',
    ]);
    expect((await readdir(directory)).sort()).toEqual([
      `.metrics.jsonl.${process.pid}-abc-def.tmp`,
      'last.json',
      'notes.tmp',
    ]);
    expect(await removeStaleTemporaries(join(directory, 'missing'))).toEqual([]);
  });
});
