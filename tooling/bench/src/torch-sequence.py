# The PyTorch CPU side of `pnpm bench:transformer` and `pnpm bench:rnn` (sequence-bench.ts): a
# token classifier (a Transformer encoder, an LSTM or a GRU) trained with the plain loop a PyTorch
# user writes (Adam, cross-entropy), driven over stdin so that the benchmark can interleave it with
# Myelin's steps.
#
# Protocol: one JSON object per line in, one JSON object per line out.
#   {"cmd": "setup", "model": "transformer", "batch": 32, "seq": 32, "d": 64, "heads": 4, "ff": 128,
#    "layers": 2, "vocab": 1000, "classes": 10, "tokens": "<base64 int32 [batches, batch, seq]>",
#    "labels": "<base64 int32 [batches, batch]>"}
#   ("model": "lstm" or "gru" takes "embed", "hidden" and "layers" instead of d, heads and ff)
#      -> {"state": {name: {"shape": [...], "data": "<base64 float32>"}}}  (the initial weights)
#   {"cmd": "run", "steps": n}  -> {"seconds": s, "cpuSeconds": c, "losses": [...]}  (n steps over
#      the batches in turn; c is the process's CPU time, all threads; the losses of every step)
# The first line out describes the process: torch version, threads, and the BLAS it loaded.
import base64
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def loaded_blas():
    """The BLAS library this process mapped (torch links the generic libblas.so.3)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.split()[-1].lower()}
    return sorted(paths)


class Classifier(nn.Module):
    """tokens -> embedding + learned positions -> encoder -> mean over the sequence -> linear."""

    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c["vocab"], c["d"])
        self.position = nn.Parameter(torch.randn(c["seq"], c["d"]) * 0.02)
        layer = nn.TransformerEncoderLayer(
            c["d"], c["heads"], dim_feedforward=c["ff"], dropout=0.0, activation="relu", batch_first=True
        )
        # enable_nested_tensor only matters for padding masks (none here); off avoids its warning.
        self.encoder = nn.TransformerEncoder(layer, c["layers"], enable_nested_tensor=False)
        self.head = nn.Linear(c["d"], c["classes"])

    def forward(self, tokens):
        return self.head(self.encoder(self.embedding(tokens) + self.position).mean(dim=1))


class Recurrent(nn.Module):
    """tokens -> embedding -> LSTM or GRU (batch first) -> the last layer's final h -> linear."""

    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c["vocab"], c["embed"])
        kind = nn.LSTM if c["model"] == "lstm" else nn.GRU
        self.rnn = kind(c["embed"], c["hidden"], num_layers=c["layers"], batch_first=True)
        self.head = nn.Linear(c["hidden"], c["classes"])

    def forward(self, tokens):
        _, state = self.rnn(self.embedding(tokens))
        h = state[0] if isinstance(state, tuple) else state
        return self.head(h[-1])


def decode(text, dtype, shape):
    return torch.from_numpy(np.frombuffer(base64.b64decode(text), dtype=dtype).reshape(shape).copy())


threads = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)
blas = loaded_blas()
if not any("openblas" in path for path in blas):
    print(json.dumps({"error": f"torch loaded {blas or 'no BLAS'}, not OpenBLAS: refusing to compare against the reference BLAS"}))
    sys.exit(1)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas}), flush=True)

state = {}
for line in sys.stdin:
    command = json.loads(line)
    if command["cmd"] == "setup":
        c = command
        model = Classifier(c) if c["model"] == "transformer" else Recurrent(c)
        model.train()
        batches = len(base64.b64decode(c["labels"])) // 4 // c["batch"]
        state = {
            "model": model,
            "optimizer": torch.optim.Adam(model.parameters(), lr=1e-3),
            "loss": nn.CrossEntropyLoss(),
            "tokens": decode(c["tokens"], np.int32, (batches, c["batch"], c["seq"])).long(),
            "labels": decode(c["labels"], np.int32, (batches, c["batch"])).long(),
            "next": 0,
        }
        weights = {
            name: {"shape": list(t.shape), "data": base64.b64encode(t.detach().numpy().astype(np.float32).tobytes()).decode()}
            for name, t in model.state_dict().items()
        }
        print(json.dumps({"state": weights}), flush=True)
    elif command["cmd"] == "run":
        model, optimizer, loss_fn, tokens, labels = (state[k] for k in ("model", "optimizer", "loss", "tokens", "labels"))
        losses = []
        start = time.perf_counter()
        cpu_start = time.process_time()
        for _ in range(command["steps"]):
            i = state["next"] % tokens.shape[0]
            state["next"] += 1
            optimizer.zero_grad()
            loss = loss_fn(model(tokens[i]), labels[i])
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        values = [value.item() for value in losses]  # read once per run, as a user's epoch print does
        print(
            json.dumps({"seconds": time.perf_counter() - start, "cpuSeconds": time.process_time() - cpu_start, "losses": values}),
            flush=True,
        )
