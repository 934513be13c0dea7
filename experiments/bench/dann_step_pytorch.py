"""The PyTorch side of experiments/bench/graft_vs_pytorch.sh: the DANN training
step of experiments/bench/dann_step.yaml written as a straightforward PyTorch
script (Debian's python3-torch: the same libtorch 1.13 as graft), on the same
cached tensors graft built (MNIST, MNIST-M), with the batch drawn, scaled and
normalised every step as graft does. Prints steps/s of the training loop.

    /usr/bin/python3 experiments/bench/dann_step_pytorch.py STEPS THREADS
"""
import io
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from peer_common import Reverse, Stream
from sealed_file import unsealed

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
threads = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
torch.set_num_threads(threads)
torch.manual_seed(0)

cache = os.environ.get("GRAFT_DATA", os.path.expanduser("~/.cache/graft"))


def load(name):
    # graft's derived sets are torch::save'd tensor lists (train x, y, val x, y,
    # test x, y) under graft's 24-byte seal (core/sealed_file.h).
    with open(os.path.join(cache, "derived", name), "rb") as f:
        tensors = torch.jit.load(io.BytesIO(unsealed(f.read(), name))).state_dict()
    return tensors["0"], tensors["1"]


source_x, source_y = load("mnist-v1.pt")
source_x = source_x.repeat(1, 3, 1, 1)  # grey as 3 channels, as `channels: 3`
target_x, _ = load("mnist_m-v1-photos10-seed0.pt")  # mnist_m's default backgrounds, as graft's run


def channel_stats(x):
    x = x.float() / 255
    return x.mean((0, 2, 3)).view(1, 3, 1, 1), x.std((0, 2, 3)).view(1, 3, 1, 1)


source_stats, target_stats = channel_stats(source_x), channel_stats(target_x)


features = nn.Sequential(nn.Conv2d(3, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 48, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten())
label_head = nn.Sequential(nn.Linear(768, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))
domain_head = nn.Sequential(nn.Linear(768, 100), nn.ReLU(), nn.Linear(100, 1))
params = list(features.parameters()) + list(label_head.parameters()) + list(domain_head.parameters())
optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9)


def normalised(stats):
    mean, std = stats
    return lambda x: (x.float() / 255 - mean) / std


source = Stream(source_x, source_y, 64, normalised(source_stats))
target = Stream(target_x, None, 64, normalised(target_stats))
domain_labels = torch.cat([torch.zeros(64), torch.ones(64)])

start = None
for step in range(steps):
    if step == 10:  # the first steps warm up allocators and thread pools, in both programs alike
        start = time.perf_counter()
    p = step / steps
    lam = 2 / (1 + math.exp(-10 * p)) - 1
    for group in optimizer.param_groups:
        group["lr"] = 0.01 / (1 + 10 * p) ** 0.75
    xs, ys = source.next()
    xt, _ = target.next()
    optimizer.zero_grad()
    f = features(torch.cat([xs, xt]))
    task = F.cross_entropy(label_head(f[:64]), ys)
    domain = F.binary_cross_entropy_with_logits(domain_head(Reverse.apply(f, lam)).squeeze(1), domain_labels)
    (task + domain).backward()
    optimizer.step()
    task.item()  # graft logs the losses every step: the same synchronisation
    domain.item()

elapsed = time.perf_counter() - start
print(f"pytorch steps/s {(steps - 10) / elapsed:.2f}")
