"""The torchvision side of experiments/bench/loader_bench.sh: the ImageNet
training pipeline as people write it (ImageFolder, RandomResizedCrop(224),
RandomHorizontalFlip, ToTensor, Normalize; a shuffling DataLoader with worker
processes), on Debian's python3-torchvision 0.14 (libtorch 1.13, as graft).
Times N batches after K untimed warm-up batches and prints one line on stdout:

    torchvision images/s: 123.4 workers: 2 batch: 64 batches: 50

    /usr/bin/python3 experiments/bench/loader_torchvision.py ROOT --workers W --batch-size B --batches N --warmup K
"""
import argparse
import os
import sys
import time

import torch
from torchvision import datasets, transforms


def batches(loader):
    """Batches without end: epochs follow each other, as in training."""
    while True:
        yield from loader


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", help="folder in ImageFolder layout, ROOT/<class>/<image>")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=50, help="timed batches")
    parser.add_argument("--warmup", type=int, default=5, help="untimed batches first (worker start, first reads)")
    args = parser.parse_args()
    if args.batches < 1 or args.warmup < 0:
        parser.error("--batches must be at least 1 and --warmup at least 0")

    # The main process only collects batches; each worker already runs on one
    # thread (DataLoader sets that), so the cores go to the workers.
    torch.set_num_threads(1)
    dataset = datasets.ImageFolder(args.root, transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ]))
    if len(dataset) < args.batch_size:
        sys.exit(f"loader_torchvision: {args.root} holds {len(dataset)} images, fewer than one batch of {args.batch_size}")
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                                         num_workers=args.workers, drop_last=True,
                                         persistent_workers=args.workers > 0)
    print(f"loader_torchvision: {len(dataset)} images in {len(dataset.classes)} classes, "
          f"{len(loader)} batches an epoch", file=sys.stderr)

    stream = batches(loader)
    for _ in range(args.warmup):
        next(stream)
    start = time.perf_counter()
    for _ in range(args.batches):
        images, _ = next(stream)
    elapsed = time.perf_counter() - start
    assert images.shape == (args.batch_size, 3, 224, 224), images.shape
    print(f"torchvision images/s: {args.batches * args.batch_size / elapsed:.1f} "
          f"workers: {args.workers} batch: {args.batch_size} batches: {args.batches}")


if __name__ == "__main__":
    main()
