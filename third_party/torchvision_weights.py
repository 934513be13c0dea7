#!/usr/bin/python3
"""Re-saves torchvision weights (or any PyTorch state dict) for graft's ResNets.

    /usr/bin/python3 third_party/torchvision_weights.py resnet50-0676ba61.pth resnet50.pth

torchvision's files hold an OrderedDict, pickled as such (and the oldest in
PyTorch's legacy format); libtorch's C++ reader keeps only plain dicts of
tensors. This loads the file with Debian's python3-torch and writes the same
tensors as a plain dict in the zip format, which `model: {name: resnet50,
weights: resnet50.pth}` reads. Checks that every value is a tensor.
"""
import sys

import torch


def main(source, target):
    state = torch.load(source, map_location="cpu")
    if hasattr(state, "state_dict"):  # a whole module was saved
        state = state.state_dict()
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        sys.exit(f"{source}: not a state dict of tensors ({', '.join(map(str, bad[:5]))} are not tensors)")
    torch.save({k: v.contiguous() for k, v in state.items()}, target)
    print(f"{target}: {len(state)} tensors from {source}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
