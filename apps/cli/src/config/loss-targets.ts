import { lossInfo, threeInputLossInfo, type LossTarget } from '@myelin/core';
import { UsageError } from '../errors.js';

// The CLI's data sources give one label per sample; the data pipeline makes it the target the
// loss's task calls for. A loss whose target kinds (core's LossInfo.targets) include none of those
// cannot train on this data, so it is refused before anything is loaded.

/** The target kinds a label per sample becomes: a class index, a 0/1 per output, or a value. */
const TARGETS_FROM_LABELS = ['class-index', 'binary', 'value'] as const satisfies readonly LossTarget[];

type TargetFromLabels = (typeof TARGETS_FROM_LABELS)[number];

/** For each kind no label gives: what such a loss compares, and what to use instead (a new kind in core must say it here). */
const NOT_FROM_LABELS: Record<
  Exclude<LossTarget, TargetFromLabels>,
  { compares: string; instead: (type: string) => string }
> = {
  distribution: {
    compares: 'compares probability distributions',
    instead: (type) =>
      `CrossEntropyLoss for class labels (it is the KL divergence to one-hot targets plus a constant), or ${type} in code with a LogSoftmax output and distribution targets`,
  },
  sign: {
    compares: 'takes -1/1 targets',
    instead: (type) =>
      `BCEWithLogitsLoss for 0/1 labels (SoftMarginLoss is the same logistic loss on -1/1 targets), or ${type} in code with -1/1 targets`,
  },
  'class-index-list': {
    compares: 'takes a list of class indices per sample (padded with -1)',
    instead: (type) =>
      `MultiMarginLoss or CrossEntropyLoss for one class label per sample, MultiLabelSoftMarginLoss for 0/1 labels, or ${type} in code with class-index rows`,
  },
};

const fromLabels = (kind: LossTarget): kind is TargetFromLabels =>
  (TARGETS_FROM_LABELS as readonly LossTarget[]).includes(kind);

/**
 * Refuses a built-in loss whose targets no data source here can give, naming the loss, why and
 * what to use; `where` is ' (--loss)', ' (in run.json)' or ''. Unknown types are left to lossFromConfig.
 */
export function checkLossTargets(type: string, where: string): void {
  const threeInput = threeInputLossInfo(type);
  if (threeInput !== undefined)
    throw new UsageError(
      `invalid value for loss${where}: got ${type}, which takes three tensors (${threeInput.forward}), but training compares the model's output with each sample's label; allowed: a loss of (output, target), such as CrossEntropyLoss for class labels or MSELoss for values (use ${type} in code, in your own step)`,
    );
  const info = lossInfo(type);
  if (info === undefined || info.targets.some(fromLabels)) return;
  const kind = info.targets.find((k): k is Exclude<LossTarget, TargetFromLabels> => !fromLabels(k))!;
  const { compares, instead } = NOT_FROM_LABELS[kind];
  throw new UsageError(
    `invalid value for loss${where}: got ${type}, which ${compares}, but every data source here gives one label per sample; allowed: ${instead(type)}`,
  );
}
