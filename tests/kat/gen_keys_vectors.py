#!/usr/bin/env python3
"""Generate the key hierarchy test vectors (tests/kat/keys_vectors.txt) from docs/KEYS.md alone.

One chain from a fixed master key to a decrypted object: the keys derived from the master key,
two KEK versions wrapped as they sit in the keystore's `lethe-keks` token, a data key wrapped
under KEK version 2 as it sits in meta.db, the evidence signing seed, and the object's LTH1
file (docs/FORMAT.md, through gen_lth1_vectors.py). Written on the Python `cryptography`
package (Debian: python3-cryptography) from the documents, sharing no code with keys/ or
crypt/, so that tests/unit/test_keys_vectors.c checks the C code against the specification.
The wraps use fixed nonces here; lethe draws each one at random.

    python3 tests/kat/gen_keys_vectors.py > tests/kat/keys_vectors.txt
    python3 tests/kat/gen_keys_vectors.py --check tests/kat/keys_vectors.txt
"""
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_lth1_vectors as lth1  # noqa: E402  (the LTH1 format, docs/FORMAT.md)

LABEL_KEK_WRAP = b"lethe/v1/kek-wrap"
LABEL_AUDIT_MAC = b"lethe/v1/audit-mac"
LABEL_EVIDENCE_WRAP = b"lethe/v1/evidence-wrap"
AAD_KEK = b"lethe/v1/kek"
AAD_DEK = b"lethe/v1/dek"
AAD_EVIDENCE = b"lethe/v1/evidence"


def hkdf(salt, ikm, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def field(data):
    return struct.pack(">H", len(data)) + data


def kek_aad(store_id, version):
    return field(AAD_KEK) + field(store_id) + struct.pack(">I", version)


def dek_aad(store_id, object_id, group, kek_version):
    return (field(AAD_DEK) + field(store_id) + field(object_id) + field(group) +
            struct.pack(">I", kek_version))


def evidence_aad(store_id):
    return field(AAD_EVIDENCE) + field(store_id)


def wrap(key, nonce, aad, secret):
    """nonce (12) || ciphertext (32) || tag (16): 60 bytes."""
    return nonce + AESGCM(key).encrypt(nonce, secret, aad)


def unwrap(key, wrapped, aad):
    assert len(wrapped) == 60
    return AESGCM(key).decrypt(wrapped[:12], wrapped[12:], aad)


# The fixed inputs of the chain.
MASTER_KEY = bytes(range(0x40, 0x60))
STORE_ID = b"5f7e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b"
KEKS = {1: bytes(range(0xa0, 0xc0)), 2: bytes(range(0xc0, 0xe0))}
KEK_NONCES = {1: bytes(range(0x10, 0x1c)), 2: bytes(range(0x20, 0x2c))}
OBJECT_ID = b"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
GROUP = b"finance"
DEK_KEK_VERSION = 2
DEK = lth1.DEK
DEK_NONCE = bytes(range(0x30, 0x3c))
EVIDENCE_SEED = bytes(range(0xe0, 0x100))
EVIDENCE_NONCE = bytes(range(0x50, 0x5c))
SEG_LOG2 = 12
SALT = lth1.SALT
PLAINTEXT = b"Recovered without lethe.\n"


def chain():
    """Every value of the chain, in the order docs/KEYS.md walks it."""
    v = [("master_key", MASTER_KEY.hex()), ("store_id", STORE_ID.decode())]
    kek_wrap = hkdf(STORE_ID, MASTER_KEY, LABEL_KEK_WRAP)
    v += [("kek_wrap_key", kek_wrap.hex()),
          ("audit_mac_key", hkdf(STORE_ID, MASTER_KEY, LABEL_AUDIT_MAC).hex()),
          ("evidence_wrap_key", hkdf(STORE_ID, MASTER_KEY, LABEL_EVIDENCE_WRAP).hex())]
    token = []
    for version, kek in sorted(KEKS.items()):
        aad = kek_aad(STORE_ID, version)
        wrapped = wrap(kek_wrap, KEK_NONCES[version], aad, kek)
        assert unwrap(kek_wrap, wrapped, aad) == kek
        v += [("kek_%d" % version, kek.hex()), ("kek_%d_aad" % version, aad.hex()),
              ("kek_%d_wrapped" % version, wrapped.hex())]
        token.append('"%d":"%s"' % (version, wrapped.hex()))
    v.append(("lethe_keks_token",
              '{"keks":{%s},"keyslots":[],"type":"lethe-keks"}' % ",".join(token)))
    aad = dek_aad(STORE_ID, OBJECT_ID, GROUP, DEK_KEK_VERSION)
    wrapped = wrap(KEKS[DEK_KEK_VERSION], DEK_NONCE, aad, DEK)
    assert unwrap(KEKS[DEK_KEK_VERSION], wrapped, aad) == DEK
    v += [("object_id", OBJECT_ID.decode()), ("group", GROUP.decode()),
          ("kek_version", str(DEK_KEK_VERSION)), ("dek", DEK.hex()), ("dek_aad", aad.hex()),
          ("wrapped_dek", wrapped.hex())]
    ev_key = hkdf(STORE_ID, MASTER_KEY, LABEL_EVIDENCE_WRAP)
    aad = evidence_aad(STORE_ID)
    public = Ed25519PrivateKey.from_private_bytes(EVIDENCE_SEED).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    v += [("evidence_seed", EVIDENCE_SEED.hex()), ("evidence_pub", public.hex()),
          ("evidence_aad", aad.hex()),
          ("evidence_priv_wrapped", wrap(ev_key, EVIDENCE_NONCE, aad, EVIDENCE_SEED).hex())]
    binary_id = bytes.fromhex(OBJECT_ID.decode().replace("-", ""))
    data, payload, _ = lth1.encrypt(DEK, binary_id, SALT, SEG_LOG2, PLAINTEXT)
    assert lth1.decrypt(DEK, binary_id, data) == PLAINTEXT
    oid = OBJECT_ID.decode()
    v += [("object_path", "objects/%s/%s/%s.lth" % (oid[0:2], oid[2:4], oid)),
          ("seg_log2", str(SEG_LOG2)), ("salt", SALT.hex()), ("payload_key", payload.hex()),
          ("plaintext", PLAINTEXT.hex()), ("object_file", data.hex())]
    return v


def emit():
    print("# Key hierarchy test vectors: docs/KEYS.md, section \"Test vectors\".")
    print("# Generated by tests/kat/gen_keys_vectors.py (Python `cryptography`, independent of")
    print("# keys/ and crypt/); checked by tests/unit/test_keys_vectors.c. One chain, from a fixed")
    print("# master key to a decrypted object; key = value lines, bytes in hex, ids as text.")
    print()
    print("name = chain")
    for key, value in chain():
        print("%s = %s" % (key, value))


def parse(path):
    values = {}
    for line in open(path):
        line = line.rstrip("\n")
        if line and not line.startswith("#") and " = " in line:
            key, _, value = line.partition(" = ")
            values[key] = value
    return values


def check(path):
    """Recompute the chain, and walk the file's values down to the plaintext."""
    f = parse(path)
    bad = [k for k, v in chain() if f.get(k) != v]
    store_id = f["store_id"].encode()
    mk = bytes.fromhex(f["master_key"])
    kek_wrap = hkdf(store_id, mk, LABEL_KEK_WRAP)
    version = int(f["kek_version"])
    kek = unwrap(kek_wrap, bytes.fromhex(f["kek_%d_wrapped" % version]),
                 kek_aad(store_id, version))
    dek = unwrap(kek, bytes.fromhex(f["wrapped_dek"]),
                 dek_aad(store_id, f["object_id"].encode(), f["group"].encode(), version))
    binary_id = bytes.fromhex(f["object_id"].replace("-", ""))
    if lth1.decrypt(dek, binary_id, bytes.fromhex(f["object_file"])) != bytes.fromhex(
            f["plaintext"]):
        bad.append("plaintext")
    for key in bad:
        print("%s: MISMATCH" % key)
    print("chain: %s" % ("MISMATCH" if bad else "ok"))
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return check(argv[2])
    if len(argv) == 1:
        emit()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
