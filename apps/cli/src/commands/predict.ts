import { existsSync, readFileSync } from 'node:fs';
import { fromHost, noGrad, predict as predictOutputs, tidy } from '@myelin/core';
import { resizeOfConfig, transformFromConfig, type Sample } from '@myelin/data';
import { activateBackend } from '../backends.js';
import { floatTarget } from '../data/float-target.js';
import { loadData } from '../data/pipeline.js';
import { UsageError, describeValue } from '../errors.js';
import { loadSavedModel, type SavedModel } from './saved-model.js';

const IMAGE = /\.(png|jpe?g|webp|gif|tiff?|avif)$/i;

/** The data a sample index refers to. */
export const PREDICT_SPLITS = ['test', 'validation', 'train'] as const;

export interface PredictOptions {
  checkpoint: string;
  inputs: readonly string[];
  backend: string;
  top?: string;
  split?: string;
  json: boolean;
}

/** One input as a sample before the transforms, with its true label when known. */
interface Input {
  name: string;
  sample: Sample;
  label?: number;
}

/** `myelin predict <checkpoint> <input...>`: an image file, a CSV row (or a CSV file of rows), or an index into the run's test data. */
export async function predict(options: PredictOptions): Promise<number> {
  const top = options.top === undefined ? 3 : Number(options.top);
  if (!Number.isInteger(top) || top < 1)
    throw new UsageError(`invalid value for --top: got ${describeValue(options.top)}; allowed: an integer >= 1`);
  const split = options.split ?? 'test';
  if (!(PREDICT_SPLITS as readonly string[]).includes(split))
    throw new UsageError(
      `invalid value for --split: got ${describeValue(split)}; allowed: ${PREDICT_SPLITS.join(', ')}`,
    );
  await activateBackend(options.backend);
  const saved = await loadSavedModel(options.checkpoint);
  try {
    const inputs: Input[] = [];
    // The run's data is loaded (and split) once, however many indices are asked for.
    let data: ReturnType<typeof loadUntransformed> | null = null;
    const runData = () => (data ??= loadUntransformed(saved));
    for (const input of options.inputs) inputs.push(...(await readInput(input, saved, split, runData)));
    const results = await Promise.all(
      inputs.map(async (input) => describePrediction(input, await run(saved, input), saved, top)),
    );
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else for (const result of results) process.stdout.write(formatResult(result));
    return 0;
  } finally {
    saved.model.dispose();
  }
}

async function readInput(
  text: string,
  saved: SavedModel,
  split: string,
  runData: () => ReturnType<typeof loadUntransformed>,
): Promise<Input[]> {
  if (/^\d+$/.test(text)) return [await indexedInput(Number(text), saved, split, await runData())];
  if (IMAGE.test(text)) return [await imageInput(text, saved)];
  if (existsSync(text)) {
    const lines = readFileSync(text, 'utf8')
      .split(/\r?\n/)
      .map((line, i) => ({ line: line.replace(/#.*/, '').trim(), number: i + 1 }))
      .filter(({ line }) => line !== '');
    // A first line that does not start like a number is a header; any later one is a row, and a bad one is named.
    const rows = lines.length > 0 && !/^[-+.\d]/.test(lines[0]!.line) ? lines.slice(1) : lines;
    return rows.map(({ line, number }) => rowInput(line, `${text}:${number}`, saved));
  }
  // One number that is no index (-1, 1.5) is a row only for a model of one input: say what both readings need.
  if (NUMBER.test(text.trim()) && features(saved) !== 1) {
    let size = '';
    try {
      const data = await runData();
      size = ` and below ${splitOf(data, split)?.length ?? 0}`;
    } catch {
      // The index reading is not what was meant if the data cannot be loaded: name the rule without the size.
    }
    throw new UsageError(
      `invalid value for <input>: got ${describeValue(text)}; allowed: a sample index of the run's ${split} data (an integer >= 0${size}), or a CSV row of ${features(saved)} numbers (the model's input)`,
    );
  }
  // Separators make it a row, whatever its items: rowInput names the one that is not a number.
  if (/[,;]/.test(text) || (/^[-+.\deE\s]+$/.test(text) && /\d/.test(text)))
    return [rowInput(text, `row ${text}`, saved)];
  throw new UsageError(
    `invalid value for <input>: got ${describeValue(text)}; allowed: an image file (.png, .jpg, ...), a CSV row of numbers ("0,1"), a CSV file of rows, or a sample index of the run's ${split} data (e.g. 17)`,
  );
}

/** The run's data without its transforms (image folders keep their resize: sharp applies it while decoding); predict applies the transforms itself, as for every input. */
function loadUntransformed(saved: SavedModel): ReturnType<typeof loadData> {
  const transforms =
    saved.config.data.source === 'image-folder'
      ? (saved.config.data.transforms ?? []).filter((t) => t.type === 'resize')
      : [];
  return loadData({ ...saved.config, data: { ...saved.config.data, transforms } });
}

/** The --split the samples are indexed in (null where the data has none). */
function splitOf(data: Awaited<ReturnType<typeof loadData>>, split: string) {
  return split === 'train' ? data.train : split === 'validation' ? data.validation : data.test;
}

async function indexedInput(
  index: number,
  saved: SavedModel,
  split: string,
  data: Awaited<ReturnType<typeof loadData>>,
): Promise<Input> {
  const dataset = splitOf(data, split);
  if (dataset === null || index >= dataset.length) {
    throw new UsageError(
      `invalid value for <input>: got ${index}; allowed: a sample index below ${dataset?.length ?? 0} (the ${split} data of ${data.summary})`,
    );
  }
  const sample = dataset.get(index, { epoch: 0 });
  const label =
    typeof sample.y === 'number' ? sample.y : sample.y.data.length === 1 ? Number(sample.y.data[0]) : undefined;
  return {
    name: `${saved.config.data.source} ${split} sample ${index}`,
    sample,
    ...(label === undefined ? {} : { label }),
  };
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** The number of values in one model input. */
const features = (saved: SavedModel): number => saved.data.inputShape.reduce((a, b) => a * b, 1);

function rowInput(line: string, name: string, saved: SavedModel): Input {
  const items = line.split(/[,;\s]+/).filter((v) => v !== '');
  const values = items.map((item) => (NUMBER.test(item) ? Number(item) : Number.NaN));
  const count = features(saved);
  const allowed = `${count} numbers (the model's input), or ${count + 1} with the label`;
  const where = name.startsWith('row ') ? '' : ` at ${name}`;
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new UsageError(
      `invalid value for <input>${where}: got ${describeValue(line.length > 80 ? `${line.slice(0, 77)}...` : line)}: item ${bad + 1} of ${values.length} is ${describeValue(items[bad])}, not a finite number; allowed: ${allowed}`,
    );
  }
  if (values.length !== count && values.length !== count + 1) {
    throw new UsageError(
      `invalid value for <input>${where}: got ${describeValue(line)} (${values.length} values); allowed: ${allowed}`,
    );
  }
  let label: number | undefined;
  if (values.length === count + 1) {
    const column = typeof saved.config.data.labelColumn === 'number' ? saved.config.data.labelColumn : -1;
    const at = column < 0 ? values.length + column : column;
    label = values.splice(at, 1)[0];
  }
  return {
    name,
    sample: { x: { data: Float32Array.from(values), shape: saved.data.inputShape }, y: label ?? 0 },
    ...(label === undefined ? {} : { label }),
  };
}

/** Decodes an image the way loadImageFolder does (sharp: drop alpha, sRGB or grey, fill-resize), as CHW or HW bytes. */
async function imageInput(file: string, saved: SavedModel): Promise<Input> {
  const shape = saved.data.inputShape;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new UsageError(
      `invalid value for <input>: got the image ${describeValue(file)}, but this model takes rows of ${shape.join('x')} values (${saved.config.data.source}); allowed: a CSV row or a sample index`,
    );
  }
  const [channels, height, width] = shape.length === 3 ? [shape[0]!, shape[1]!, shape[2]!] : [1, shape[0]!, shape[1]!];
  const sharp = (await import('sharp')).default;
  let data: Buffer;
  try {
    let pipeline = sharp(file).removeAlpha();
    pipeline = channels === 3 ? pipeline.toColourspace('srgb') : pipeline.greyscale();
    ({ data } = await pipeline.resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true }));
  } catch (error) {
    throw new UsageError(
      `invalid value for <input>: got ${describeValue(file)}; allowed: a readable image (${(error as Error).message})`,
    );
  }
  const plane = height * width;
  const chw = new Uint8Array(channels * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) chw[c * plane + p] = data[p * channels + c]!;
  const resized = resizeOfConfig(saved.config.data.transforms ?? []);
  const note =
    saved.config.data.source !== 'image-folder' && resized === undefined ? ` (resized to ${height}x${width})` : '';
  return { name: `${file}${note}`, sample: { x: { data: chw, shape }, y: 0 } };
}

async function run(saved: SavedModel, input: Input): Promise<Float32Array> {
  const transforms = saved.config.data.transforms ?? [];
  const transform = transformFromConfig(transforms, { skipResize: saved.config.data.source === 'image-folder' });
  let sample = transform(input.sample, { index: 0, epoch: 0 });
  if (saved.data.task !== 'classification') sample = floatTarget(sample);
  const x = fromHost(Float32Array.from(sample.x.data), [1, ...sample.x.shape], { dtype: 'float32' });
  try {
    const output = await predictOutputs(saved.model, x);
    const { task, onLogits } = saved.loss;
    // Classification losses take logits (CrossEntropyLoss) or log-probabilities (NLLLoss);
    // binary ones logits (BCEWithLogitsLoss) or probabilities (BCELoss).
    const probabilities = noGrad(() =>
      tidy(() => {
        if (task === 'classification') return onLogits ? output.softmax(-1) : output.exp();
        if (task === 'binary' && onLogits) return output.sigmoid();
        return output.add(0);
      }),
    );
    output.dispose();
    const values = Float32Array.from(await probabilities.data());
    probabilities.dispose();
    return values;
  } finally {
    x.dispose();
  }
}

interface PredictionResult {
  input: string;
  prediction: string | number;
  probability?: number;
  top?: { class: string; probability: number }[];
  label?: string | number;
  correct?: boolean;
}

function describePrediction(input: Input, values: Float32Array, saved: SavedModel, top: number): PredictionResult {
  const name = (index: number): string => saved.data.classes?.[index] ?? String(index);
  const task = saved.data.task;
  if (task === 'regression')
    return { input: input.name, prediction: values[0]!, ...(input.label === undefined ? {} : { label: input.label }) };
  const scores = task === 'binary' ? [1 - values[0]!, values[0]!] : Array.from(values);
  const ranked = scores
    .map((probability, index) => ({ index, probability }))
    .sort((a, b) => b.probability - a.probability);
  const best = ranked[0]!;
  return {
    input: input.name,
    prediction: name(best.index),
    probability: best.probability,
    top: ranked
      .slice(0, Math.min(top, ranked.length))
      .map((r) => ({ class: name(r.index), probability: r.probability })),
    ...(input.label === undefined ? {} : { label: name(input.label), correct: input.label === best.index }),
  };
}

function formatResult(result: PredictionResult): string {
  if (result.probability === undefined)
    return `${result.input}: ${Number(result.prediction).toPrecision(6)}${result.label === undefined ? '' : `  (target ${result.label})`}\n`;
  const label = result.label === undefined ? '' : `  (label ${result.label}: ${result.correct ? 'correct' : 'wrong'})`;
  const top = (result.top ?? []).map((t) => `${t.class} ${t.probability.toFixed(4)}`).join(', ');
  return `${result.input}: ${result.prediction} (${result.probability.toFixed(4)})${label}\n  top ${result.top?.length ?? 0}: ${top}\n`;
}
