#!/usr/bin/env python3
# PyTorch's side of `pnpm bench:fashion-cnn`: the same model, data, optimizer, schedule and epochs
# as a CLI preset whose model is {"type": "cnn"} (read from the preset's JSON), trained with
# PyTorch's plain loop on the CPU. Prints one JSON line: training seconds, samples/s, test accuracy.
#   python3 torch-cnn-preset.py <preset.json> <fashion-mnist dir> <threads> [limit]
# limit: train on the first `limit` training images only (0 or absent: all), as the CLI's --limit.
import gzip
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    preset = json.load(open(sys.argv[1]))
    directory = sys.argv[2]
    torch.set_num_threads(int(sys.argv[3]))
    torch.manual_seed(0)
    data, model_config, training = preset["data"], preset["model"], preset["training"]
    normalize = next(t for t in data["transforms"] if t["type"] == "normalize")
    mean, std = normalize["mean"], normalize["std"]

    def images(name):
        x = read_idx(f"{directory}/{name}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
        return torch.from_numpy((x.astype(np.float32) / 255 - mean) / std)

    def labels(name):
        return torch.from_numpy(read_idx(f"{directory}/{name}-labels-idx1-ubyte.gz", 8).astype(np.int64))

    x_train, y_train = images("train"), labels("train")
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    if limit > 0:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = images("t10k"), labels("t10k")
    # The preset's validation split leaves this share out of training (which samples: any, for timing).
    keep = len(x_train) - int(round(len(x_train) * data.get("validationSplit", 0)))
    x_train, y_train = x_train[:keep], y_train[:keep]

    layers, channels, size = [], 1, 28
    k, pool, bn = model_config.get("kernelSize", 3), model_config.get("pool", 2), model_config.get("batchNorm", True)
    for out in model_config["channels"]:
        layers += [nn.Conv2d(channels, out, k, padding="same", bias=not bn)]
        layers += [nn.BatchNorm2d(out)] if bn else []
        layers += [nn.ReLU()]
        if pool > 1 and size >= pool:
            layers += [nn.MaxPool2d(pool)]
            size //= pool
        channels = out
    layers += [nn.Flatten()]
    features = channels * size * size
    for hidden in model_config.get("hidden", []):
        layers += [nn.Linear(features, hidden), nn.ReLU()]
        features = hidden
    layers += [nn.Linear(features, 10)]
    model = nn.Sequential(*layers)

    optimizer_config = preset["optimizer"]
    assert optimizer_config["type"] == "adam", "this script times Adam presets"
    optimizer = torch.optim.Adam(model.parameters(), lr=optimizer_config["lr"])
    batch, epochs = training["batchSize"], training["epochs"]
    steps_per_epoch = (len(x_train) + batch - 1) // batch
    schedule = None
    if preset.get("schedule") and preset["schedule"]["type"].lower() in ("onecyclelr", "onecycle"):
        options = preset["schedule"]
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=options.get("maxLr", optimizer_config["lr"]),
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            pct_start=options.get("pctStart", 0.3),
        )
    loss_fn = nn.CrossEntropyLoss()
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(x_train), batch):
            index = order[i : i + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        correct = sum(
            (model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item() for i in range(0, len(x_test), 1000)
        )
    print(
        json.dumps(
            {
                "seconds": seconds,
                "samples_per_second": len(x_train) * epochs / seconds,
                "test_accuracy": correct / len(x_test),
                "threads": torch.get_num_threads(),
            }
        )
    )


main()
