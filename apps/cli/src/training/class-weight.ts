import type { DatasetLike, Sample } from '@myelin/data';
import type { RunConfig } from '../config/schema.js';
import type { DataSplits } from '../data/pipeline.js';
import { UsageError } from '../errors.js';
import { sourceOf, type ConfigSource } from './components.js';

/** The class of a training sample's label: an integer class index, or a 0/1 binary label. */
function labelOf(sample: Sample): number {
  const y = sample.y;
  return typeof y === 'number' ? y : Number(y.data[0]);
}

/**
 * sklearn's compute_class_weight('balanced'): samples / (classes * samples of the class), from
 * the training split's labels (read once, before training). A class with no training sample
 * weighs 1: no training loss ever uses its weight.
 */
export function balancedClassWeight(train: DatasetLike<Sample>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < train.length; i++) {
    const label = labelOf(train.get(i));
    if (Number.isInteger(label) && label >= 0 && label < classes) counts[label]!++;
  }
  return counts.map((count) => (count === 0 ? 1 : train.length / (classes * count)));
}

/**
 * training.classWeight as fit takes it: 'balanced' computed from the training labels, an array
 * or object checked against the data's classes (2 for a binary loss); null without one.
 */
export function resolveClassWeight(
  config: RunConfig,
  data: Pick<DataSplits, 'train' | 'outputs' | 'task'>,
  source: ConfigSource,
): number[] | null {
  const given = config.training.classWeight;
  if (given === null) return null;
  const where = `training.classWeight${sourceOf(source, 'training.classWeight')}`;
  if (data.task === 'regression')
    throw new UsageError(
      `invalid value for ${where}: got ${JSON.stringify(given)}, but the loss ${String(config.loss.type)} is a regression loss whose targets are not classes; allowed: none, or a classification or binary loss`,
    );
  const classes = data.task === 'binary' ? 2 : data.outputs;
  if (given === 'balanced') return balancedClassWeight(data.train, classes);
  const weights = Array.isArray(given)
    ? given
    : Array.from({ length: classes }, (_, index) => (given as Record<string, number>)[String(index)]);
  const extra = Array.isArray(given) ? [] : Object.keys(given).filter((key) => !(Number(key) < classes));
  const missing = weights.findIndex((weight) => weight === undefined);
  if (weights.length !== classes || missing >= 0 || extra.length > 0)
    throw new UsageError(
      `invalid value for ${where}: got ${JSON.stringify(given)}${missing >= 0 ? ` (no weight for class ${missing})` : extra.length > 0 ? ` (class ${extra[0]} is not one of the data's)` : ` (${weights.length} weights)`}; allowed: one weight >= 0 per class (${classes} for this data${data.task === 'binary' ? ', 0 and 1' : ''}), as a JSON array or object {"0": w0, ...}, or balanced`,
    );
  return weights as number[];
}
