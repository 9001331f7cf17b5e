import { mkdtemp, readFile, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { CheckpointError, decodeSafetensors, disposeCheckpoint, getBackend, type Checkpoint } from '@myelin/core';
import { expectSameCheckpoint, sampleCheckpoint } from '../checkpoint/test-fixtures.js';
import { listCheckpoints, loadCheckpoint, nodeFileSystem, saveCheckpoint, type FileSystemOperations } from './index.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'myelin-checkpoint-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A file system that dies at rename number `dieAt` (1-based): it and every later call fail, like a killed process. */
function diesAtRename(dieAt: number): FileSystemOperations {
  let renames = 0;
  let dead = false;
  const check = () => {
    if (dead) throw Object.assign(new Error('simulated crash'), { code: 'EIO' });
  };
  return {
    open: async (file, flags) => (check(), nodeFileSystem.open(file, flags)),
    unlink: async (file) => (check(), nodeFileSystem.unlink(file)),
    readFile: async (file) => (check(), nodeFileSystem.readFile(file)),
    readdir: async (dir) => (check(), nodeFileSystem.readdir(dir)),
    mkdir: async (dir, options) => (check(), nodeFileSystem.mkdir(dir, options)),
    async rename(from, to) {
      check();
      if (++renames === dieAt) dead = true;
      check();
      await nodeFileSystem.rename(from, to);
    },
  };
}

/** A file system whose `rename` fails on call number `failAt` (1-based), like a crash at that point. */
function renameFailsAt(failAt: number): FileSystemOperations {
  let calls = 0;
  return {
    ...nodeFileSystem,
    async rename(from, to) {
      if (++calls === failAt) throw Object.assign(new Error(`simulated crash at rename ${failAt}`), { code: 'EIO' });
      await nodeFileSystem.rename(from, to);
    },
  };
}

async function expectLoadRefused(name: string, pattern: RegExp): Promise<void> {
  const backend = getBackend();
  const before = backend.liveHandles();
  const error = await loadCheckpoint(directory, name).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as Error).message).toMatch(pattern);
  expect(backend.liveHandles()).toBe(before);
}

async function withLoaded(name: string, check: (loaded: Checkpoint) => Promise<void>): Promise<void> {
  const loaded = await loadCheckpoint(directory, name);
  try {
    await check(loaded);
  } finally {
    disposeCheckpoint(loaded);
  }
}

describe('saveCheckpoint / loadCheckpoint / listCheckpoints', () => {
  it('round-trips a checkpoint through <name>.safetensors, <name>.optimizer.safetensors and <name>.json', async () => {
    const original = sampleCheckpoint();
    const nested = join(directory, 'runs', 'mnist');
    await saveCheckpoint(nested, 'last', original);
    expect((await readdir(nested)).sort()).toEqual(['last.json', 'last.optimizer.safetensors', 'last.safetensors']);
    const weights = decodeSafetensors(await readFile(join(nested, 'last.safetensors')));
    expect(Object.keys(weights.tensors).sort()).toEqual(Object.keys(original.modelState).sort());
    const loaded = await loadCheckpoint(nested, 'last');
    await expectSameCheckpoint(loaded, original);
    disposeCheckpoint(loaded);
    disposeCheckpoint(original);
  });

  it('lists complete checkpoints only, and [] for a missing directory', async () => {
    const original = sampleCheckpoint();
    await saveCheckpoint(directory, 'last', original);
    await saveCheckpoint(directory, 'best', original);
    await writeFile(join(directory, 'metrics.json'), '{}'); // a JSON file that is not a checkpoint
    await writeFile(join(directory, 'orphan.safetensors'), ''); // weights without meta: not committed
    expect(await listCheckpoints(directory)).toEqual(['best', 'last']);
    expect(await listCheckpoints(join(directory, 'nope'))).toEqual([]);
    disposeCheckpoint(original);
  });

  it('overwrites a checkpoint of the same name, and removes a stale optimizer file', async () => {
    const [first, second] = [sampleCheckpoint(1), sampleCheckpoint(2)];
    await saveCheckpoint(directory, 'last', first);
    await saveCheckpoint(directory, 'last', second);
    await withLoaded('last', (loaded) => expectSameCheckpoint(loaded, second));
    const { optimizerState: _, ...withoutOptimizer } = second;
    await saveCheckpoint(directory, 'last', withoutOptimizer);
    expect((await readdir(directory)).sort()).toEqual(['last.json', 'last.safetensors']);
    await withLoaded('last', async (loaded) => expect(loaded.optimizerState).toBeUndefined());
    disposeCheckpoint(first);
    disposeCheckpoint(second);
  });

  it('keeps the previous checkpoint intact when a crash comes before the renames', async () => {
    const [old, next] = [sampleCheckpoint(1), sampleCheckpoint(2)];
    await saveCheckpoint(directory, 'last', old);
    const error = await saveCheckpoint(directory, 'last', next, { fileSystem: renameFailsAt(1) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(
      /simulated crash at rename 1.*the previous 'last' checkpoint is untouched/,
    );
    expect((await readdir(directory)).sort()).toEqual(['last.json', 'last.optimizer.safetensors', 'last.safetensors']);
    await withLoaded('last', (loaded) => expectSameCheckpoint(loaded, old));
    disposeCheckpoint(old);
    disposeCheckpoint(next);
  });

  it('leaves the old or the new checkpoint loadable after a crash at any rename, and the next save tidies up', async () => {
    const [old, next, third] = [sampleCheckpoint(1), sampleCheckpoint(2), sampleCheckpoint(3)];
    for (const crashAt of [1, 2, 3]) {
      await rm(directory, { recursive: true, force: true });
      await saveCheckpoint(directory, 'last', old);
      await expect(saveCheckpoint(directory, 'last', next, { fileSystem: diesAtRename(crashAt) })).rejects.toThrow(
        CheckpointError,
      );
      // Rename 1 is the manifest's: the commit. Before it the old checkpoint, after it the new one.
      await withLoaded('last', (loaded) => expectSameCheckpoint(loaded, crashAt === 1 ? old : next));
      expect(await listCheckpoints(directory)).toEqual(['last']);
      // The temporaries the manifest does not name are stale: give them a dead process's pid, as after a kill.
      const named = JSON.stringify(JSON.parse(await readFile(join(directory, 'last.json'), 'utf8')));
      for (const file of await readdir(directory))
        if (file.endsWith('.tmp') && !named.includes(file))
          await rename(join(directory, file), join(directory, file.replace(/\.\d+-/, '.999999999-')));
      await writeFile(join(directory, '.metrics.jsonl.999999999-abc-def.tmp'), 'stale');
      await saveCheckpoint(directory, 'last', third);
      expect((await readdir(directory)).sort()).toEqual([
        'last.json',
        'last.optimizer.safetensors',
        'last.safetensors',
      ]);
      await withLoaded('last', (loaded) => expectSameCheckpoint(loaded, third));
    }
    for (const c of [old, next, third]) disposeCheckpoint(c);
  });

  it('names the tensor files and their CRCs in the manifest, and loads a checkpoint written before it did', async () => {
    const original = sampleCheckpoint();
    await saveCheckpoint(directory, 'last', original);
    const meta = JSON.parse(await readFile(join(directory, 'last.json'), 'utf8'));
    expect(meta.model.file).toMatchObject({
      name: 'last.safetensors',
      staged: expect.stringMatching(/^\.last\.safetensors\..*\.tmp$/),
    });
    expect(meta.optimizer.file.name).toBe('last.optimizer.safetensors');
    // The old layout: the same files, a manifest without names.
    delete meta.model.file.name;
    delete meta.model.file.staged;
    delete meta.optimizer.file.name;
    delete meta.optimizer.file.staged;
    await writeFile(join(directory, 'last.json'), JSON.stringify(meta));
    await withLoaded('last', (loaded) => expectSameCheckpoint(loaded, original));
    // A manifest naming a file outside its directory is refused.
    meta.model.file.name = '../elsewhere.safetensors';
    await writeFile(join(directory, 'last.json'), JSON.stringify(meta));
    await expectLoadRefused('last', /model\.file\.name must be a file name in the checkpoint's directory/);
    disposeCheckpoint(original);
  });

  it('keeps the previous checkpoint intact when writing a temp file fails', async () => {
    const [old, next] = [sampleCheckpoint(1), sampleCheckpoint(2)];
    await saveCheckpoint(directory, 'best', old);
    let opens = 0;
    const diskFullOnThirdFile: FileSystemOperations = {
      ...nodeFileSystem,
      async open(file, flags) {
        if (++opens === 3) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return nodeFileSystem.open(file, flags);
      },
    };
    await expect(saveCheckpoint(directory, 'best', next, { fileSystem: diskFullOnThirdFile })).rejects.toThrow(
      /ENOSPC.*untouched/,
    );
    expect((await readdir(directory)).sort()).toEqual(['best.json', 'best.optimizer.safetensors', 'best.safetensors']);
    await withLoaded('best', (loaded) => expectSameCheckpoint(loaded, old));
    disposeCheckpoint(old);
    disposeCheckpoint(next);
  });

  it('refuses truncated files at many lengths, naming the file', async () => {
    const original = sampleCheckpoint();
    await saveCheckpoint(directory, 'last', original);
    const weightsPath = join(directory, 'last.safetensors');
    const intact = await readFile(weightsPath);
    for (const length of [0, 5, 8, 40, intact.length >> 1, intact.length - 1]) {
      await truncate(weightsPath, length);
      await expectLoadRefused(
        'last',
        new RegExp(`last\\.safetensors: is ${length} bytes but .*last\\.json records ${intact.length}: truncated`),
      );
      await writeFile(weightsPath, intact);
    }
    const metaPath = join(directory, 'last.json');
    const meta = await readFile(metaPath, 'utf8');
    await writeFile(metaPath, meta.slice(0, meta.length >> 1));
    await expectLoadRefused('last', /last\.json: not valid JSON .*truncated/);
    await writeFile(metaPath, new Uint8Array([0x7b, 0xff, 0x7d]));
    await expectLoadRefused('last', /last\.json: not valid UTF-8/);
    disposeCheckpoint(original);
  });

  it('refuses a missing weights file, a missing checkpoint and a bad name', async () => {
    const original = sampleCheckpoint();
    await saveCheckpoint(directory, 'best', original);
    await saveCheckpoint(directory, 'last', original);
    await rm(join(directory, 'last.optimizer.safetensors'));
    await expectLoadRefused(
      'last',
      /last\.optimizer\.safetensors is missing, but .*last\.json records optimizer state/,
    );
    await rm(join(directory, 'last.safetensors'));
    await expectLoadRefused('last', /last\.safetensors is missing, but .*last\.json lists 6 model tensors/);
    await expectLoadRefused('epoch-9', /no checkpoint 'epoch-9' in .*: .*epoch-9\.json does not exist \(found: best\)/);
    await expect(saveCheckpoint(directory, '../escape', original)).rejects.toThrow(
      /checkpoint name must be letters, digits, '-' and '_' .* got "\.\.\/escape"/,
    );
    await expect(loadCheckpoint(directory, 'a.b')).rejects.toThrow(CheckpointError);
    disposeCheckpoint(original);
  });
});
