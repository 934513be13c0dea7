"""Writes a stand-in for Office-31 in TLlib's layout from graft's built-in
digit sets, so that experiments/protocols/tllib_office31.yaml runs end to end
on this machine: three domains of the same ten classes, as Office-31 has three
domains of the same 31 objects.

    <out>/amazon/images/<class>/<n>.png   <- MNIST (grey digits as 3 channels)
    <out>/dslr/images/<class>/<n>.png     <- MNIST-M (digits blended over photos)
    <out>/webcam/images/<class>/<n>.png   <- UCI digits (8x8 scans, sklearn)
    <out>/image_list/{amazon,dslr,webcam}.txt   `<domain>/images/<class>/<n>.png <label>`

Each domain is `graft data export` of the built-in set (its training split;
PNG, lossless) moved into that layout, at most --per-class images per class.

    /usr/bin/python3 experiments/protocols/standins/make_office31_standin.py [OUT] [--per-class N]

OUT defaults to data/office31_standin in graft's folder (where
office31_standin.yaml reads it). Needs build/bin/graft and
`graft data fetch mnist_m` (which fetches MNIST too) and `graft data fetch uci_digits`.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GRAFT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DOMAINS = [("amazon", "{name: mnist, channels: 3}"), ("dslr", "mnist_m"), ("webcam", "{name: uci_digits, channels: 3}")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=os.path.join(GRAFT_DIR, "data", "office31_standin"))
    parser.add_argument("--per-class", type=int, default=300, help="images per class and domain (default 300)")
    parser.add_argument("--graft", default=os.path.join(GRAFT_DIR, "build", "bin", "graft"))
    args = parser.parse_args()
    if os.path.exists(args.out):
        sys.exit(f"{args.out} exists; remove it first (the stand-in is written whole)")
    # Staged beside the output and renamed at the end: a killed run leaves no half-written stand-in.
    staging = args.out + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.join(staging, "image_list"))
    with tempfile.TemporaryDirectory() as exports:
        for domain, entry in DOMAINS:
            exported = os.path.join(exports, domain)
            done = subprocess.run([args.graft, "data", "export", entry, exported, "--format", "image_folder"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if done.returncode != 0:
                sys.exit(f"graft data export {entry} failed:\n{done.stdout}")
            train = os.path.join(exported, "train")
            classes = sorted(os.listdir(train))
            lines = []
            for label, name in enumerate(classes):
                target = os.path.join(staging, domain, "images", name)
                os.makedirs(target)
                for image in sorted(os.listdir(os.path.join(train, name)))[: args.per_class]:
                    shutil.move(os.path.join(train, name, image), os.path.join(target, image))
                    lines.append(f"{domain}/images/{name}/{image} {label}\n")
            with open(os.path.join(staging, "image_list", f"{domain}.txt"), "w") as f:
                f.writelines(lines)
            print(f"{domain}: {len(lines)} images of {len(classes)} classes from {entry}")
    os.rename(staging, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
