import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { loadImageFolder } from './image-folder.js';

let root: string;

async function solid(
  path: string,
  width: number,
  height: number,
  rgb: [number, number, number],
  format: 'png' | 'jpeg',
): Promise<void> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await writeFile(path, await (format === 'png' ? image.png() : image.jpeg({ quality: 100 })).toBuffer());
}

/** root/rain: two red PNGs (one 6x4, one 3x5); root/sun: two blue JPEGs; root/.hidden and a text file are ignored. */
async function makeFolder(base: string): Promise<string> {
  const folder = await mkdtemp(join(base, 'images-'));
  await mkdir(join(folder, 'sun'));
  await mkdir(join(folder, 'rain'));
  await mkdir(join(folder, '.hidden'));
  await solid(join(folder, 'rain', 'a.png'), 6, 4, [255, 0, 0], 'png');
  await solid(join(folder, 'rain', 'b.PNG'), 3, 5, [255, 0, 0], 'png');
  await solid(join(folder, 'sun', 'c.jpg'), 6, 4, [0, 0, 255], 'jpeg');
  await solid(join(folder, 'sun', 'd.jpeg'), 6, 4, [0, 0, 255], 'jpeg');
  await writeFile(join(folder, 'sun', 'notes.txt'), 'not an image');
  return folder;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'myelin-folder-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadImageFolder', () => {
  it('decodes PNG and JPEG, resizes, sorts class names to indices and stores CHW uint8', async () => {
    const folder = await makeFolder(root);
    const dataset = await loadImageFolder(folder, { size: [2, 3] });
    expect(dataset.classes).toEqual(['rain', 'sun']);
    expect(dataset.length).toBe(4);
    expect(dataset.x.shape).toEqual([4, 3, 2, 3]);
    expect([...dataset].map((s) => s.y)).toEqual([0, 0, 1, 1]);
    expect(dataset.files.map((f) => f.slice(folder.length + 1))).toEqual([
      'rain/a.png',
      'rain/b.PNG',
      'sun/c.jpg',
      'sun/d.jpeg',
    ]);
    const red = dataset.get(1).x;
    expect(red.shape).toEqual([3, 2, 3]);
    expect(red.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(red.data)).toEqual([...Array(6).fill(255), ...Array(12).fill(0)]);
    const blue = Array.from(dataset.get(2).x.data);
    expect(blue.slice(0, 6).every((v) => v < 8)).toBe(true); // JPEG is lossy
    expect(blue.slice(12).every((v) => v > 247)).toBe(true);
  });

  it('converts to one grayscale channel', async () => {
    const dataset = await loadImageFolder(await makeFolder(root), { size: 4, channels: 1 });
    expect(dataset.x.shape).toEqual([4, 1, 4, 4]);
  });

  it('keeps the size when none is given, and says so when images differ', async () => {
    const folder = await makeFolder(root);
    await expect(loadImageFolder(folder)).rejects.toThrow(
      /b.PNG: expected an image of 4x6 like the first one \(or pass \{ size \} to resize\), found 5x3/,
    );
    await rm(join(folder, 'rain', 'b.PNG'));
    expect((await loadImageFolder(folder)).x.shape).toEqual([3, 3, 4, 6]);
  });

  it('stops at an unreadable image by default, or skips it with a warning', async () => {
    const folder = await makeFolder(root);
    const broken = join(folder, 'sun', 'broken.png');
    await writeFile(broken, 'definitely not a PNG');
    await expect(loadImageFolder(folder, { size: 2 })).rejects.toThrow(
      `${broken}: expected a readable .png/.jpg/.jpeg image, found an unreadable file`,
    );
    const warnings: string[] = [];
    const dataset = await loadImageFolder(folder, {
      size: 2,
      onUnreadable: 'skip',
      onWarning: (m) => warnings.push(m),
    });
    expect(dataset.length).toBe(4);
    expect(dataset.files.some((f) => f.endsWith('broken.png'))).toBe(false);
    expect([...dataset].map((s) => s.y)).toEqual([0, 0, 1, 1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/broken.png: .*; skipped$/);
  });

  it('rejects a folder with no classes, an empty class and a missing root', async () => {
    const empty = await mkdtemp(join(root, 'empty-'));
    await expect(loadImageFolder(empty)).rejects.toThrow(
      `${empty}: expected at least one class sub-folder, found none`,
    );
    await mkdir(join(empty, 'only'));
    await expect(loadImageFolder(empty)).rejects.toThrow(
      /expected image files \(.png, .jpg, .jpeg\) in every class folder, found none in 'only'/,
    );
    await expect(loadImageFolder(join(root, 'missing'))).rejects.toThrow(DataError);
  });
});
