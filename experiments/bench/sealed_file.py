"""graft's sealed files (core/sealed_file.h) read from Python, for the peers
that read graft's cache (dann_step_pytorch.py, vecmap_peer.py). Standard
library only."""
import struct
import zlib


def unsealed(data, name):
    """The content of a file graft sealed (core/sealed_file.h: "GRAFTSF1", the
    content's length as uint64, its CRC-32, padding; 24 bytes), checked."""
    if data[:8] != b"GRAFTSF1":
        return data  # written before graft sealed its files
    length, crc = struct.unpack_from("<QI", data, 8)
    content = data[24:]
    if len(content) != length or zlib.crc32(content) != crc:
        raise SystemExit(f"{name}: damaged (its seal does not match); delete it and let graft rebuild it")
    return content
