# PyTorch's answer to the same benchmark, for the ratio in scripts/bench.mjs: W2 (784-128-10,
# ReLU, cross-entropy, torch.optim.Adam lr 1e-3), batch 256 per rank, the plain training loop,
# one intra-op thread per rank. With WORLD_SIZE=2 (RANK, MASTER_ADDR, MASTER_PORT set by the
# launcher) the model is wrapped in torch.nn.parallel.DistributedDataParallel over Gloo, PyTorch's
# CPU collective library. Rank 0 prints one `BENCH {...}` line with per-epoch samples/s (all
# ranks together), epoch 0 left out as warm-up.
#   python3 torch-ddp.py --threads 1 --epochs 6 --steps 40
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--epochs', type=int, default=6)
parser.add_argument('--steps', type=int, default=40)
parser.add_argument('--batch', type=int, default=256)
args = parser.parse_args()

torch.set_num_threads(args.threads)
world = int(os.environ.get('WORLD_SIZE', '1'))
rank = int(os.environ.get('RANK', '0'))
if world > 1:
    dist.init_process_group('gloo', rank=rank, world_size=world)

torch.manual_seed(1)
module = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
model = nn.parallel.DistributedDataParallel(module) if world > 1 else module
optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
# Fashion-MNIST-shaped data; each rank its own shard (the speed does not depend on the values).
generator = torch.Generator().manual_seed(5 + rank)
x = torch.rand(args.steps * args.batch, 784, generator=generator)
y = torch.randint(0, 10, (args.steps * args.batch,), generator=generator)

epochs = []
for epoch in range(args.epochs):
    if world > 1:
        dist.barrier()
    started = time.perf_counter()
    for step in range(args.steps):
        batch = slice(step * args.batch, (step + 1) * args.batch)
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if world > 1:
        dist.barrier()
    seconds = time.perf_counter() - started
    epochs.append({'seconds': seconds, 'samplesPerSecond': args.steps * args.batch * world / seconds})
if rank == 0:
    print('BENCH ' + json.dumps({'ranks': world, 'threads': args.threads, 'epochs': epochs[1:]}), flush=True)
if world > 1:
    dist.destroy_process_group()
