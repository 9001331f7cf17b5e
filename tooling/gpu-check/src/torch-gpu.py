# The PyTorch side of the GPU benchmark (bench.ts): the same plain loop as the CPU benchmark's
# worker (tooling/bench/src/torch-workloads.py) -- zero_grad, forward, loss, backward, step, the
# loss read once per epoch -- on a CUDA device, eager mode, driven one epoch at a time over stdin so
# that bench.ts can interleave it with Myelin's epochs. Both sides train on the same samples: the
# benchmark writes them to files (float32 inputs, int32 labels) and names them in "setup".
#
# Protocol: one JSON object per line in, one JSON object per line out.
#   {"cmd": "setup", "layers": [784, 128, 10], "batch": 64, "samples": 19200,
#    "inputs": "/tmp/x.f32", "labels": "/tmp/y.i32", "tf32": false}
#   {"cmd": "run"}   -> {"seconds": s, "loss": l}   (one epoch; the device is synchronised first)
# The first line out describes the process: torch and CUDA versions, the device, TF32 switches.
# argv[1]: the torch device ("cuda", or "cpu" for the smoke run on a machine without a GPU).
import json
import sys
import time

import numpy as np
import torch

device = torch.device(sys.argv[1] if len(sys.argv) > 1 else "cuda")
if device.type == "cuda" and not torch.cuda.is_available():
    print(json.dumps({"error": f"torch {torch.__version__} sees no CUDA device (torch.cuda.is_available() is False)"}), flush=True)
    sys.exit(1)
torch.manual_seed(0)


def synchronize():
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def set_tf32(enabled):
    """TF32 tensor cores for float32 matmuls on or off; returns the setting as torch reports it.
    PyTorch >= 2.9 has fp32_precision ("ieee" or "tf32") and rejects mixing it with the old
    allow_tf32 switches, which older releases have alone (1.13's lookup of an unknown attribute
    raises AssertionError, hence the broad except)."""
    precision = "tf32" if enabled else "ieee"
    try:
        torch.backends.cuda.matmul.fp32_precision = precision
        reported = f"cuda.matmul.fp32_precision={torch.backends.cuda.matmul.fp32_precision}"
    except Exception:
        torch.backends.cuda.matmul.allow_tf32 = enabled
        reported = f"cuda.matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}"
    try:
        torch.backends.cudnn.conv.fp32_precision = precision
    except Exception:
        torch.backends.cudnn.allow_tf32 = enabled
    return reported


about = {"torch": torch.__version__, "device": str(device)}
if device.type == "cuda":
    about.update(
        cuda=torch.version.cuda,
        gpu=torch.cuda.get_device_name(device),
        capability=".".join(map(str, torch.cuda.get_device_capability(device))),
        cudnn=torch.backends.cudnn.version(),
    )
else:
    about["threads"] = torch.get_num_threads()
print(json.dumps(about), flush=True)

state = {}
for line in sys.stdin:
    command = json.loads(line)
    if command["cmd"] == "setup":
        tf32 = set_tf32(bool(command["tf32"]))
        samples, layers = command["samples"], command["layers"]
        x = torch.from_numpy(np.fromfile(command["inputs"], dtype=np.float32, count=samples * layers[0]))
        y = torch.from_numpy(np.fromfile(command["labels"], dtype=np.int32, count=samples).astype(np.int64))
        modules = []
        for i in range(len(layers) - 1):
            modules.append(torch.nn.Linear(layers[i], layers[i + 1]))
            if i < len(layers) - 2:
                modules.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*modules).to(device)
        state = {
            "model": model,
            "optimizer": torch.optim.Adam(model.parameters()),
            "loss": torch.nn.CrossEntropyLoss(),
            "batch": command["batch"],
            "x": x.reshape(samples, layers[0]).to(device),
            "y": y.to(device),
        }
        synchronize()
        print(json.dumps({"ok": True, "tf32": tf32}), flush=True)
    elif command["cmd"] == "run":
        model, optimizer, loss_fn, x, y = (state[k] for k in ("model", "optimizer", "loss", "x", "y"))
        batch = state["batch"]
        synchronize()
        start = time.perf_counter()
        for begin in range(0, x.shape[0] - batch + 1, batch):
            optimizer.zero_grad()
            loss = loss_fn(model(x[begin:begin + batch]), y[begin:begin + batch])
            loss.backward()
            optimizer.step()
        value = loss.item()  # the loss read once per run, as a user's epoch print does
        synchronize()
        print(json.dumps({"seconds": time.perf_counter() - start, "loss": value}), flush=True)
