#!/usr/bin/env python3
"""Write the seed corpora of the LTH1 fuzz targets (tests/fuzz/corpus/lth/, lth_edit/).

Valid files under the key and object id fixed in fuzz_lth.c, made with the independent
implementation in tests/kat/gen_lth1_vectors.py, and damaged copies of them (truncated,
extended, bad header fields), so that the fuzzer starts past the key commitment and the header
tag. Inputs the fuzzer found (crash-*, regress-*) live in the same directory; this script never
removes them.

    python3 tests/fuzz/gen_lth_seeds.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kat"))
import gen_lth1_vectors as lth  # noqa: E402

DEK = bytes(range(32))
OBJECT_ID = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
SALT = bytes(range(0x40, 0x60))


def pattern(n):
    return bytes((i * 7 + 3) % 256 for i in range(n))


def main():
    out = os.path.join(HERE, "corpus", "lth")
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for seg_log2, size in [(12, 0), (12, 1), (12, 100), (12, 4096), (12, 5000), (12, 9000),
                           (12, 8192), (16, 1), (16, 70000), (20, 10)]:
        ct = lth.encrypt(DEK, OBJECT_ID, SALT, seg_log2, pattern(size))[0]
        seeds["valid-s%d-%d" % (seg_log2, size)] = ct
    base = seeds["valid-s12-9000"]
    stride = 4096 + 16
    seeds["trunc-mid-header"] = base[:50]
    seeds["trunc-after-header"] = base[:104]
    seeds["trunc-boundary-1"] = base[:104 + stride]
    seeds["trunc-boundary-2"] = base[:104 + 2 * stride]
    seeds["trunc-mid-segment"] = base[:104 + stride + 1000]
    seeds["trunc-short-tag"] = base[:104 + 2 * stride + 7]
    seeds["appended-20"] = seeds["valid-s12-8192"] + bytes(20)
    seeds["appended-segment"] = base + base[104:104 + stride]
    seeds["bad-version"] = base[:4] + b"\x02" + base[5:]
    seeds["bad-seg-log2"] = base[:6] + b"\x1f" + base[7:]
    seeds["bad-reserved"] = base[:7] + b"\x01" + base[8:]
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), out))
    write_edit_seeds()


def edit(kind, pos, arg):
    return bytes([kind]) + pos.to_bytes(4, "little") + arg.to_bytes(3, "little")


def write_edit_seeds():
    """Seeds of fuzz_lth_edit.c: edit count, 8-byte edits, then the plaintext."""
    out = os.path.join(HERE, "corpus", "lth_edit")
    os.makedirs(out, exist_ok=True)
    stride = 4096 + 16
    seeds = {
        "none-empty": bytes([0]),
        "none-9000": bytes([0]) + pattern(9000),
        "flip": bytes([1]) + edit(0, 5000, 1) + pattern(9000),
        "truncate-boundary": bytes([1]) + edit(1, 104 + 2 * stride, 0) + pattern(9000),
        "append": bytes([1]) + edit(2, 0, 17) + pattern(8192),
        "duplicate-segment": bytes([1]) + edit(3, 104, 1) + pattern(12000),
        "swap-segments": bytes([1]) + edit(4, 0, 1) + pattern(12000),
        "delete-segment": bytes([1]) + edit(5, 104 + stride, 1) + pattern(12000),
        "append-then-truncate": bytes([2]) + edit(2, 0, 40) + edit(1, 104 + 16 + 100, 0)
        + pattern(100),
    }
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
