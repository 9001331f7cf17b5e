import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { MemoryBudget } from '../training/memory-budget.js';

const EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** The image files of an image folder (one sub-folder per class), as loadImageFolder reads them. */
function imageFiles(root: string): string[] {
  const files: string[] = [];
  let classes: string[];
  try {
    classes = readdirSync(root).filter(
      (name) => !name.startsWith('.') && statSync(path.join(root, name)).isDirectory(),
    );
  } catch {
    return []; // loadImageFolder reports a missing or unreadable folder
  }
  for (const name of classes.sort()) {
    try {
      for (const file of readdirSync(path.join(root, name)).sort())
        if (EXTENSIONS.includes(path.extname(file).toLowerCase())) files.push(path.join(root, name, file));
    } catch {
      // Reported by the loader.
    }
  }
  return files;
}

/**
 * Reads every image's header (sharp's metadata: no pixels decoded) before the folder is
 * decoded, so that mixed sizes without --resize name the odd file, and a folder whose decoded
 * images would not fit in --memory-budget is refused before any is decoded.
 */
export async function checkImageFolder(
  root: string,
  channels: number,
  size: readonly [number, number] | undefined,
  budget: MemoryBudget,
): Promise<void> {
  const files = imageFiles(root);
  if (files.length === 0) return;
  if (size !== undefined) {
    budget.check(
      files.length * channels * size[0] * size[1],
      `--resize ${size[0]}x${size[1]} of the ${files.length.toLocaleString('en-US')} images in ${root}`,
      'the decoded images',
      true,
    );
  }
  const sharp = (await import('sharp')).default;
  let first: { file: string; height: number; width: number } | undefined;
  let total = 0;
  let next = 0;
  const check = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      let height: number | undefined;
      let width: number | undefined;
      try {
        ({ height, width } = await sharp(file).metadata());
      } catch {
        continue; // unreadable: the loader reports it (or skips it) with its own message
      }
      if (height === undefined || width === undefined) continue;
      // Decoding one image holds its full size, resized or not.
      budget.check(channels * height * width, `the image ${file} (${width}x${height})`, 'its decoded pixels', false);
      if (size !== undefined) continue;
      first ??= { file, height, width };
      if (height !== first.height || width !== first.width) {
        throw new CliError(
          `cannot load the image-folder dataset from ${root}: ${file} is ${height}x${width} but ${first.file} is ${first.height}x${first.width}; pass --resize HxW (e.g. --resize ${first.height}x${first.width}) to bring every image to one size`,
        );
      }
      total += channels * height * width;
    }
  };
  await Promise.all(Array.from({ length: 8 }, check));
  if (size === undefined && first !== undefined)
    budget.check(
      total,
      `the ${files.length.toLocaleString('en-US')} images of ${first.height}x${first.width} in ${root} (no --resize)`,
      'the decoded images',
      false,
    );
}
