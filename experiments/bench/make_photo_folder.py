"""Builds the photo folder that experiments/bench/loader_bench.sh reads: JPEGs
of the size people feed an ImageNet-style loader (longer side 300-640 px,
varied aspect ratios, quality 90) in torchvision's ImageFolder layout
OUT/<class>/<name>.jpg. They are seeded random crops of real photographs that
Debian's wallpaper packages ship, so decoding costs what photos cost (not
what flat synthetic images cost) and nothing is fetched but Debian packages.
The same package versions and seed give the same files.

    /usr/bin/python3 experiments/bench/make_photo_folder.py OUT [--count 2000]

The .deb files (about 62 MB) are fetched with `apt-get download` and unpacked
with `dpkg-deb -x` into --cache; nothing is installed. Classes are assigned
round-robin: they only give ImageFolder its layout, the benchmark ignores them.
"""
import argparse
import glob
import os
import random
import shutil
import subprocess
import sys

from PIL import Image

# Package, the photographs in it (glob inside the unpacked package), and the
# files that glob matches but that are renders rather than photos.
SOURCES = [
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/*_by_*.jpg", {"umang_by_Abhishek_Mudgal.jpg"}),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/*.jpg", set()),
]


def fetch(package, cache):
    """Unpacks the package into cache/<package> (once); returns that folder, the .deb's name and size."""
    target = os.path.join(cache, package)
    if not glob.glob(os.path.join(cache, f"{package}_*.deb")):
        try:
            subprocess.run(["apt-get", "download", "-q", package], cwd=cache, check=True, stdout=sys.stderr)
        except subprocess.CalledProcessError:
            sys.exit(f"make_photo_folder: `apt-get download {package}` failed; "
                     "run `apt-get update` (as root) so apt knows the package, then retry")
    deb = sorted(glob.glob(os.path.join(cache, f"{package}_*.deb")))[-1]
    if not os.path.isdir(target):
        subprocess.run(["dpkg-deb", "-x", deb, target + ".partial"], check=True)
        os.rename(target + ".partial", target)
    return target, os.path.basename(deb), os.path.getsize(deb)


def log_uniform(rng, low, high):
    return low * (high / low) ** rng.random()


def crops(photo, count, rng):
    """Yields `count` random crops of `photo`, resized to longer side 300-640 px."""
    with Image.open(photo) as image:
        image = image.convert("RGB")
        width, height = image.size
        for _ in range(count):
            aspect = log_uniform(rng, 0.6, 1.8)  # width / height; 3:5 as likely as 5:3
            longer = rng.randint(300, 640)
            size = (longer, round(longer / aspect)) if aspect >= 1 else (round(longer * aspect), longer)
            # The largest box of that aspect that fits, scaled to 30-100% of its
            # side so crops show different parts and scales of the photo; never
            # below the output size, as upscaled crops are blurred and cheap to decode.
            largest = min(width, height * aspect)
            box_w = largest * rng.uniform(min(1.0, max(0.3, size[0] / largest)), 1.0)
            box_h = box_w / aspect
            left, top = rng.uniform(0, width - box_w), rng.uniform(0, height - box_h)
            yield image.resize(size, Image.BICUBIC, box=(left, top, left + box_w, top + box_h), reducing_gap=3.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder to create (OUT/<class>/<name>.jpg)")
    parser.add_argument("--count", type=int, default=2000, help="number of JPEGs (default 2000)")
    parser.add_argument("--classes", type=int, default=10, help="number of class folders (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "graft", "bench", "debs"),
        help="where the .deb files are kept and unpacked")
    args = parser.parse_args()

    have = glob.glob(os.path.join(args.out, "*", "*.jpg"))
    if len(have) == args.count:
        print(f"make_photo_folder: {args.out} already holds {args.count} JPEGs", file=sys.stderr)
        return
    if os.path.exists(args.out):
        sys.exit(f"make_photo_folder: {args.out} holds {len(have)} JPEGs, not {args.count}; "
                 "remove it or name another folder")

    os.makedirs(args.cache, exist_ok=True)
    photos = []
    for package, pattern, skip in SOURCES:
        folder, deb, size = fetch(package, args.cache)
        found = [p for p in sorted(glob.glob(os.path.join(folder, pattern))) if os.path.basename(p) not in skip]
        print(f"make_photo_folder: {len(found)} photos from {deb} ({size / 1e6:.1f} MB)", file=sys.stderr)
        photos += found
    if not photos:
        sys.exit("make_photo_folder: the packages hold none of the expected photos; "
                 f"check SOURCES in {__file__} against `dpkg-deb -c` of the .deb files in {args.cache}")

    # Built aside and renamed, so an interrupted run leaves no half folder to skip over.
    partial = args.out.rstrip("/") + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    rng = random.Random(args.seed)
    written = 0
    for index, photo in enumerate(photos):
        # The count spread over the photos as evenly as it divides.
        share = args.count * (index + 1) // len(photos) - args.count * index // len(photos)
        for crop in crops(photo, share, rng):
            folder = os.path.join(partial, f"class{written % args.classes:02d}")
            os.makedirs(folder, exist_ok=True)
            crop.save(os.path.join(folder, f"{written:05d}.jpg"), quality=90)
            written += 1
    os.rename(partial, args.out)
    print(f"make_photo_folder: wrote {written} JPEGs from {len(photos)} photos to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
