import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DataError } from '../errors.js';
import { LabeledDataset } from '../sources/labeled.js';
import type sharp from 'sharp';

export interface ImageFolderOptions {
  /** Resize every image to this (height, width), or a square; default: keep sizes, which must then all match. */
  size?: number | readonly [number, number];
  /** 3 (RGB, the default) or 1 (grayscale); alpha is dropped. */
  channels?: 1 | 3;
  /** 'error' (default) stops at an unreadable image; 'skip' leaves it out and warns. */
  onUnreadable?: 'error' | 'skip';
  /** Receives each warning (default console.warn). */
  onWarning?: (message: string) => void;
  /** File name endings counted as images (default .png, .jpg, .jpeg; any case). */
  extensions?: readonly string[];
  /** Images decoded at once (sharp decodes off the main thread). Default 4. */
  concurrency?: number;
}

/** One class per sub-folder (sorted names are the class indices); x is a [C, H, W] uint8 view per image. */
export class ImageFolderDataset extends LabeledDataset {
  constructor(
    inputs: ConstructorParameters<typeof LabeledDataset>[0],
    labels: Int32Array,
    classes: readonly string[],
    readonly files: readonly string[],
    root: string,
  ) {
    super(inputs, labels, classes, root);
  }
}

type Sharp = typeof sharp;

async function loadSharp(): Promise<Sharp> {
  try {
    return (await import('sharp')).default;
  } catch (error) {
    throw new DataError({
      source: 'loadImageFolder',
      expected: 'the sharp package (an npm dependency of @myelin/data)',
      found: `it failed to load: ${(error as Error).message}`,
    });
  }
}

async function listClasses(
  root: string,
  extensions: readonly string[],
): Promise<{ classes: string[]; files: string[]; labels: number[] }> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new DataError({
      source: root,
      expected: 'a readable directory with one sub-folder per class',
      found: (error as Error).message,
    });
  }
  const classes = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (classes.length === 0)
    throw new DataError({ source: root, expected: 'at least one class sub-folder', found: 'none' });
  const files: string[] = [];
  const labels: number[] = [];
  const empty: string[] = [];
  for (const [label, name] of classes.entries()) {
    const images = (await readdir(join(root, name)))
      .filter((f) => !f.startsWith('.') && extensions.includes(extname(f).toLowerCase()))
      .sort();
    if (images.length === 0) empty.push(name);
    for (const image of images) {
      files.push(join(root, name, image));
      labels.push(label);
    }
  }
  if (empty.length > 0) {
    throw new DataError({
      source: root,
      expected: `image files (${extensions.join(', ')}) in every class folder`,
      found: `none in ${empty.map((e) => `'${e}'`).join(', ')}`,
    });
  }
  return { classes, files, labels };
}

/**
 * Loads an image folder (torchvision's ImageFolder layout) into one uint8 buffer: each image
 * decoded (PNG, JPEG) and resized with sharp, stored CHW. Use `toFloat()` / `normalize()` on it.
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const sharp = await loadSharp();
  const channels = options.channels ?? 3;
  const extensions = (options.extensions ?? ['.png', '.jpg', '.jpeg']).map((e) => e.toLowerCase());
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const { classes, files, labels } = await listClasses(root, extensions);

  const decode = async (
    file: string,
    size: readonly [number, number] | undefined,
  ): Promise<{ data: Uint8Array; height: number; width: number }> => {
    let pipeline = sharp(file).removeAlpha();
    pipeline = channels === 3 ? pipeline.toColourspace('srgb') : pipeline.greyscale();
    if (size !== undefined) pipeline = pipeline.resize(size[1], size[0], { fit: 'fill' });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels, wanted ${channels}`);
    return { data, height: info.height, width: info.width };
  };

  const requested: readonly [number, number] | undefined =
    typeof options.size === 'number' ? [options.size, options.size] : options.size;
  if (requested !== undefined && !requested.every((v) => Number.isInteger(v) && v > 0)) {
    throw new DataError({
      source: 'loadImageFolder',
      expected: 'size a positive integer or [height, width]',
      found: `${JSON.stringify(options.size)}`,
    });
  }
  let size = requested;
  const kept = new Uint8Array(files.length);
  let buffer: Uint8Array | undefined;
  let imageSize = 0;

  const loadOne = async (index: number): Promise<void> => {
    const file = files[index]!;
    let image;
    try {
      image = await decode(file, requested);
    } catch (error) {
      const problem = new DataError({
        source: file,
        expected: `a readable ${extensions.join('/')} image`,
        found: `an unreadable file (${(error as Error).message})`,
      });
      if (options.onUnreadable === 'skip') {
        warn(`${problem.message}; skipped`);
        return;
      }
      throw problem;
    }
    if (size === undefined) size = [image.height, image.width];
    if (image.height !== size[0] || image.width !== size[1]) {
      throw new DataError({
        source: file,
        expected: `an image of ${size[0]}x${size[1]} like the first one (or pass { size } to resize)`,
        found: `${image.height}x${image.width}`,
      });
    }
    imageSize = channels * size[0] * size[1];
    buffer ??= new Uint8Array(files.length * imageSize);
    // sharp gives HWC; store CHW.
    const plane = size[0] * size[1];
    const offset = index * imageSize;
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < channels; c++) buffer[offset + c * plane + p] = image.data[p * channels + c]!;
    kept[index] = 1;
  };

  // The first image fixes the size when none is given; the rest decode `concurrency` at a time.
  let next = 0;
  while (next < files.length && buffer === undefined) await loadOne(next++);
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 4) }, async () => {
    while (next < files.length) await loadOne(next++);
  });
  await Promise.all(workers);

  if (buffer === undefined || size === undefined)
    throw new DataError({ source: root, expected: 'at least one readable image', found: 'none (all were skipped)' });
  let count = 0;
  const keptFiles: string[] = [];
  const keptLabels: number[] = [];
  for (let i = 0; i < files.length; i++) {
    if (!kept[i]) continue;
    if (count !== i) buffer.copyWithin(count * imageSize, i * imageSize, (i + 1) * imageSize);
    keptFiles.push(files[i]!);
    keptLabels.push(labels[i]!);
    count++;
  }
  const data = buffer.subarray(0, count * imageSize);
  return new ImageFolderDataset(
    { data, shape: [count, channels, size[0], size[1]] },
    Int32Array.from(keptLabels),
    classes,
    keptFiles,
    root,
  );
}
