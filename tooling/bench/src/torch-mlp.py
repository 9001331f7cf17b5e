# PyTorch CPU reference for `pnpm bench:backends`: the same 784-128-10 MLP, softmax
# cross-entropy and Adam(1e-3), one epoch over the same number of samples, single-threaded.
# Prints one JSON line: {"torch": version, "results": {batch: samples_per_second}}.
import glob
import json
import os
import statistics
import sys
import time

import torch

samples, runs = int(sys.argv[1]), int(sys.argv[2])
batch_sizes = [int(b) for b in sys.argv[3].split(",")]
torch.set_num_threads(1)
torch.manual_seed(42)
inputs = torch.rand(samples, 784)
labels = torch.randint(0, 10, (samples,))

results = {}
for batch in batch_sizes:
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    steps = samples // batch

    def epoch():
        for i in range(steps):
            x, y = inputs[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return loss.item()

    epoch()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    results[batch] = steps * batch / statistics.median(times)

# Debian's torch links the generic libblas.so.3; the alternatives system picks the implementation.
blas = [os.path.realpath(p) for p in glob.glob("/usr/lib/*-linux-gnu/libblas.so.3")]
print(json.dumps({"torch": torch.__version__, "blas": blas[0] if blas else "unknown", "results": results}))
