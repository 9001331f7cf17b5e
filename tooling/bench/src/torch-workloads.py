# The PyTorch CPU side of `pnpm bench:cpu`: the plain training loop a PyTorch user writes, driven
# one epoch at a time over stdin so that the benchmark can interleave it with Myelin's epochs.
#
# Protocol: one JSON object per line in, one JSON object per line out.
#   {"cmd": "setup", "workload": "mlp", "hidden": 128, "batch": 64, "samples": 20000, "activation": "gelu"}
#   {"cmd": "setup", "workload": "lenet", "batch": 64, "samples": 10000}
#   {"cmd": "setup", "workload": "xor", "steps": 1001}
#   {"cmd": "run"}   -> {"seconds": s, "cpuSeconds": c, "loss": l}  (one epoch, or the XOR run's 1001 steps;
#                       c is the process's CPU time, all threads)
# The first line out describes the process: torch version, threads, and the BLAS it loaded.
import gzip
import json
import sys
import time

import numpy as np
import torch

FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
FASHION_MNIST_LABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"


def loaded_blas():
    """The BLAS library this process mapped (torch links the generic libblas.so.3)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.split()[-1].lower()}
    return sorted(paths)


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


threads = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)
blas = loaded_blas()
if not any("openblas" in path for path in blas):
    print(json.dumps({"error": f"torch loaded {blas or 'no BLAS'}, not OpenBLAS: refusing to compare against the reference BLAS"}))
    sys.exit(1)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas}), flush=True)

images = labels = None
state = {}
for line in sys.stdin:
    command = json.loads(line)
    if command["cmd"] == "setup":
        if command["workload"] in ("mlp", "lenet"):
            if images is None:
                images = torch.from_numpy(read_idx(FASHION_MNIST, 16).reshape(-1, 784).astype(np.float32) / 255)
                labels = torch.from_numpy(read_idx(FASHION_MNIST_LABELS, 8).astype(np.int64))
            samples = command["samples"]
            if command["workload"] == "lenet":
                nn = torch.nn
                model = nn.Sequential(
                    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
                )
                x = images[:samples].reshape(-1, 1, 28, 28).contiguous()
            else:
                activation = {
                    "relu": lambda: torch.nn.ReLU(),
                    "gelu": lambda: torch.nn.GELU(),
                    "gelu_tanh": lambda: torch.nn.GELU(approximate="tanh"),
                    "silu": lambda: torch.nn.SiLU(),
                }[command.get("activation", "relu")]()
                model = torch.nn.Sequential(
                    torch.nn.Linear(784, command["hidden"]), activation, torch.nn.Linear(command["hidden"], 10)
                )
                x = images[:samples]
            state = {
                "kind": command["workload"], "model": model, "optimizer": torch.optim.Adam(model.parameters()),
                "loss": torch.nn.CrossEntropyLoss(), "batch": command["batch"],
                "x": x, "y": labels[:samples],
            }
        else:
            model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1), torch.nn.Sigmoid())
            state = {
                "kind": "xor", "model": model, "optimizer": torch.optim.SGD(model.parameters(), lr=1.0),
                "loss": torch.nn.BCELoss(), "steps": command["steps"],
                "x": torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
                "y": torch.tensor([[0.0], [1.0], [1.0], [0.0]]),
            }
        print(json.dumps({"ok": True}), flush=True)
    elif command["cmd"] == "run":
        model, optimizer, loss_fn, x, y = (state[k] for k in ("model", "optimizer", "loss", "x", "y"))
        start = time.perf_counter()
        cpu_start = time.process_time()
        if state["kind"] in ("mlp", "lenet"):
            batch = state["batch"]
            for begin in range(0, x.shape[0] - batch + 1, batch):
                optimizer.zero_grad()
                loss = loss_fn(model(x[begin:begin + batch]), y[begin:begin + batch])
                loss.backward()
                optimizer.step()
        else:
            for _ in range(state["steps"]):
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
        value = loss.item()  # the loss read once per run, as a user's epoch print does
        print(
            json.dumps({"seconds": time.perf_counter() - start, "cpuSeconds": time.process_time() - cpu_start, "loss": value}),
            flush=True,
        )
