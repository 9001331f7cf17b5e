#!/usr/bin/env python3
"""Writes src/training/metrics-fixture.ts: batches of outputs and targets with the epoch values of
precision, recall, F1 (macro, micro, weighted; binary), ROC AUC and the regression metrics.

scikit-learn is not installed here, so the references are its textbook definitions written out
with numpy in float64, per label with boolean masks as sklearn.metrics does:
- precision / recall / F1 per label with zero_division=0; 'macro' over the labels seen in the
  targets or the predictions (sklearn's unique_labels), 'weighted' by target support, 'micro' from
  pooled counts; single-column outputs report the positive class (average='binary').
- AUC: the exact ROC AUC (Mann-Whitney: P(score+ > score-) + P(tie) / 2, what roc_auc_score gives),
  Keras' 200-threshold trapezoid approximation (float32 comparisons, as on the device), and the
  bound on their gap: half the share of positive-negative pairs that no threshold separates.
- mae, mse, rmse; r2 per output column, 1 - SSE / SST, averaged ('uniform_average').
The data covers several batches, one without class 2 among its targets, a class (3) that is
predicted but never a target, and a column (4) never predicted nor a target.

    /usr/bin/python3 packages/core/scripts/make-metrics-fixture.py
"""

import numpy as np
from ts_fixture import write_fixture

rng = np.random.default_rng(7)


def per_label_scores(pred, true, labels):
    tp = np.array([np.sum((pred == c) & (true == c)) for c in labels], dtype=np.float64)
    npred = np.array([np.sum(pred == c) for c in labels], dtype=np.float64)
    ntrue = np.array([np.sum(true == c) for c in labels], dtype=np.float64)
    return tp, npred, ntrue


def divide(a, b):
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def scores(tp, npred, ntrue):
    return {'precision': divide(tp, npred), 'recall': divide(tp, ntrue), 'f1': divide(2 * tp, npred + ntrue)}


# Multi-class: 5 logit columns, column 4 always lowest; distinct values per row (no argmax ties).
sizes = [7, 5, 6]
multi_outputs, multi_targets = [], []
for b, n in enumerate(sizes):
    rows = np.array([rng.permutation([-1.0, 0.25, 1.5, 2.0]) for _ in range(n)])
    multi_outputs.append(np.concatenate([rows, np.full((n, 1), -10.0)], axis=1))
    multi_targets.append(rng.integers(0, 2 if b == 1 else 3, size=n))  # batch 2 has no class 2
pred = np.concatenate([o.argmax(1) for o in multi_outputs])
true = np.concatenate(multi_targets)
labels = np.union1d(pred, true)  # sklearn's unique_labels: 4 never appears
tp, npred, ntrue = per_label_scores(pred, true, labels)
multi = {}
for kind, values in scores(tp, npred, ntrue).items():
    pooled = scores(tp.sum(keepdims=True), npred.sum(keepdims=True), ntrue.sum(keepdims=True))[kind][0]
    multi[kind] = {
        'macro': float(values.mean()),
        'micro': float(pooled),
        'weighted': float(np.sum(values * ntrue) / np.sum(ntrue)),
    }

# Binary logits, one column, threshold 0; float 0/1 targets of shape [n, 1].
binary_outputs, binary_targets = [], []
for n in [9, 6, 8]:
    binary_outputs.append(np.round(rng.normal(size=(n, 1)) * 8) / 8 + 1 / 16)  # never exactly 0
    binary_targets.append(rng.integers(0, 2, size=(n, 1)).astype(np.float64))
bpred = (np.concatenate(binary_outputs)[:, 0] > 0).astype(int)
btrue = np.concatenate(binary_targets)[:, 0].astype(int)
tp, npred, ntrue = per_label_scores(bpred, btrue, [1])
binary = {kind: float(v[0]) for kind, v in scores(tp, npred, ntrue).items()}

# AUC: probabilities (float32 values) that lean towards the target, some equal across classes.
auc_outputs, auc_targets = [], []
for n in [40, 35, 25]:
    y = rng.integers(0, 2, size=(n, 1))
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    p[:3] = 0.5  # exact ties
    auc_outputs.append(p.astype(np.float32).astype(np.float64))
    auc_targets.append(y.astype(np.float64))
s = np.concatenate(auc_outputs)[:, 0]
y = np.concatenate(auc_targets)[:, 0]
pos, neg = s[y == 1], s[y == 0]
greater = (pos[:, None] > neg[None, :]).sum()
ties = (pos[:, None] == neg[None, :]).sum()
exact = (greater + 0.5 * ties) / (len(pos) * len(neg))
n_thr = 200
eps = 1e-7
thresholds = np.array([-eps] + [(i + 1) / (n_thr - 1) for i in range(n_thr - 2)] + [1 + eps]).astype(np.float32)
above = s.astype(np.float32)[:, None] > thresholds[None, :]
tps = (above & (y[:, None] == 1)).sum(0).astype(np.float64)
fps = (above & (y[:, None] == 0)).sum(0).astype(np.float64)
tpr, fpr = tps / len(pos), fps / len(neg)
keras = float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))
bins = above.sum(1)  # scores above the same thresholds are indistinguishable
bin_pos, bin_neg = bins[y == 1], bins[y == 0]
unseparated = ((bin_pos[:, None] == bin_neg[None, :]) & (pos[:, None] != neg[None, :])).sum()
bound = 0.5 * unseparated / (len(pos) * len(neg))

# Regression: two output columns, values on a 1/16 grid (exact in float32).
reg_outputs, reg_targets = [], []
for n in [5, 8, 4]:
    t = np.round(rng.normal([1.0, -3.0], [2.0, 0.5], size=(n, 2)) * 16) / 16
    reg_targets.append(t)
    reg_outputs.append(t + np.round(rng.normal(0, 0.5, size=(n, 2)) * 16) / 16)
out = np.concatenate(reg_outputs)
tgt = np.concatenate(reg_targets)
err = out - tgt
sse = (err ** 2).sum(0)
sst = ((tgt - tgt.mean(0)) ** 2).sum(0)
regression = {
    'mae': float(np.abs(err).mean()),
    'mse': float((err ** 2).mean()),
    'rmse': float(np.sqrt((err ** 2).mean())),
    'r2': float(np.mean(1 - sse / sst)),
}


def tolist(arrays):
    return [a.tolist() for a in arrays]


write_fixture(__file__, 'training/metrics-fixture.ts', 'METRICS_FIXTURE', {
    'multiclass': {'outputs': tolist(multi_outputs), 'targets': tolist(multi_targets), 'expected': multi},
    'binary': {'outputs': tolist(binary_outputs), 'targets': tolist(binary_targets), 'expected': binary},
    'auc': {'outputs': tolist(auc_outputs), 'targets': tolist(auc_targets),
            'expected': {'keras': keras, 'exact': float(exact), 'bound': float(bound)}},
    'regression': {'outputs': tolist(reg_outputs), 'targets': tolist(reg_targets), 'expected': regression},
}, note='; numpy references, see the script')
print(multi, binary, keras, exact, bound, regression, 'labels', labels)
