# PyTorch's side of `pnpm bench:image-folder`: the image-folder preset's CNN recipe, trained on
# the very images and split the Myelin run used (written by image-folder.ts), so the two test
# accuracies can be read against each other. Per entry of the preset's `channels`:
# Conv2d(k, 'same', no bias) -> BatchNorm2d -> ReLU -> MaxPool2d(pool); then Flatten -> Linear;
# Adam, cross-entropy, the preset's batch size and epochs, best epoch by validation accuracy
# (the preset's checkpoint), reshuffled every epoch. Prints one `RESULT {...}` line.
#   python3 torch-image-folder.py DIR SEED
# DIR holds images.bin (uint8 [N, C, H, W]), labels.bin (uint8 [N]) and run.json
# ({shape, classes, train, validation, test, channels, kernelSize, pool, lr, batchSize, epochs}).
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

folder, seed = sys.argv[1], int(sys.argv[2])
run = json.load(open(os.path.join(folder, 'run.json')))
torch.set_num_threads(int(os.environ.get('TORCH_THREADS', '1')))
n, c, h, w = run['shape']
images = np.fromfile(os.path.join(folder, 'images.bin'), dtype=np.uint8).reshape(n, c, h, w)
# The preset's transforms: toFloat (/255), normalize mean 0.5 std 0.5.
x = torch.tensor((images.astype(np.float32) / 255 - 0.5) / 0.5)
y = torch.tensor(np.fromfile(os.path.join(folder, 'labels.bin'), dtype=np.uint8).astype(np.int64))
train, validation, test = (torch.tensor(run[k], dtype=torch.long) for k in ('train', 'validation', 'test'))

torch.manual_seed(seed)
layers, channels, size = [], c, h
k, pool = run['kernelSize'], run['pool']
for out in run['channels']:
    layers += [nn.Conv2d(channels, out, k, padding='same', bias=False), nn.BatchNorm2d(out), nn.ReLU()]
    if pool > 1 and size >= pool:
        layers.append(nn.MaxPool2d(pool))
        size //= pool
    channels = out
model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * size * size, run['classes']))
optimizer = torch.optim.Adam(model.parameters(), lr=run['lr'])


def accuracy(indices):
    model.eval()
    with torch.no_grad():
        return (model(x[indices]).argmax(1) == y[indices]).float().mean().item()


best = (-1.0, 0.0)
batch = run['batchSize']
for epoch in range(run['epochs']):
    model.train()
    order = train[torch.randperm(len(train))]
    for start in range(0, len(order), batch):
        indices = order[start : start + batch]
        loss = F.cross_entropy(model(x[indices]), y[indices])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    validation_accuracy = accuracy(validation)
    if validation_accuracy > best[0]:
        best = (validation_accuracy, accuracy(test))
print('RESULT ' + json.dumps({'seed': seed, 'validationAccuracy': best[0], 'testAccuracy': best[1]}), flush=True)
