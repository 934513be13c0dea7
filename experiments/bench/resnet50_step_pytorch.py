"""The PyTorch side of experiments/bench/resnet50_step.sh: the training step of
experiments/bench/resnet50_step.yaml (TLlib's Office-31 DANN recipe at its real
size) as a plain PyTorch script on Debian's python3-torch and
python3-torchvision (the same libtorch 1.13 as graft), over the same arrays.
Times every step, as graft's record does (no step left out), and prints s/step.

    /usr/bin/python3 experiments/bench/resnet50_step_pytorch.py INPUTS STEPS THREADS [channels_last]
"""
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from peer_common import Reverse, Stream

inputs, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
channels_last = len(sys.argv) > 4 and sys.argv[4] == "channels_last"
torch.set_num_threads(threads)
torch.manual_seed(0)


def load(domain):
    return torch.from_numpy(np.load(f"{inputs}/{domain}/x.npy")), torch.from_numpy(np.load(f"{inputs}/{domain}/label.npy"))


source_x, source_y = load("source")
target_x, _ = load("target")


backbone = torchvision.models.resnet50()
backbone.fc = nn.Identity()
if channels_last:
    backbone = backbone.to(memory_format=torch.channels_last)
bottleneck = nn.Sequential(nn.Linear(2048, 256), nn.BatchNorm1d(256), nn.ReLU())
head = nn.Linear(256, 31)
discriminator = nn.Sequential(nn.Linear(256, 1024), nn.BatchNorm1d(1024), nn.ReLU(), nn.Linear(1024, 1024),
                              nn.BatchNorm1d(1024), nn.ReLU(), nn.Linear(1024, 1))
groups = [{"params": backbone.parameters(), "factor": 0.1}, {"params": bottleneck.parameters(), "factor": 1.0},
          {"params": head.parameters(), "factor": 1.0}, {"params": discriminator.parameters(), "factor": 1.0}]
optimizer = torch.optim.SGD(groups, lr=0.01, momentum=0.9, weight_decay=0.001, nesterov=True)


source, target = Stream(source_x, source_y, 32), Stream(target_x, None, 32)
domain_labels = torch.cat([torch.zeros(32), torch.ones(32)])
for module in (backbone, bottleneck, head, discriminator):
    module.train()

start = time.perf_counter()
for step in range(steps):
    p = step / steps
    lam = 2 / (1 + math.exp(-20 * p)) - 1
    for group in optimizer.param_groups:
        group["lr"] = 0.01 * group["factor"] / (1 + 20 * p) ** 0.75
    xs, ys = source.next()
    xt, _ = target.next()
    optimizer.zero_grad()
    x = torch.cat([xs, xt])
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    f = bottleneck(backbone(x))
    task = F.cross_entropy(head(f[:32]), ys)
    domain = F.binary_cross_entropy_with_logits(discriminator(Reverse.apply(f, lam)).squeeze(1), domain_labels)
    (task + domain).backward()
    optimizer.step()
    task.item()  # graft logs the losses every step: the same synchronisation
    domain.item()
elapsed = time.perf_counter() - start
print(f"pytorch s/step {elapsed / steps:.3f}")
