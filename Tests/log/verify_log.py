#!/usr/bin/env python3
"""An independent verifier of Consentry's transparency log, using only hashlib and the
`cryptography` package: no Consentry code.

    verify_log.py checkpoint URL VERIFIER_KEY            prints SIZE ROOT_BASE64 of a verified checkpoint
    verify_log.py consistency URL VERIFIER_KEY SIZE ROOT  verifies the current checkpoint extends SIZE/ROOT
    verify_log.py note-file FILE VERIFIER_KEY             verifies a signed note stored in FILE
    verify_log.py receipt FILE VERIFIER_KEY               verifies a member's receipt, prints its leaf

Exit 0 when everything verifies, 1 (with the reason) otherwise.
"""
import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(why):
    print("verify_log: " + why, file=sys.stderr)
    sys.exit(1)


def parse_verifier_key(text):
    """C2SP signed-note verifier key: NAME+HASH+BASE64(0x01 || 32-byte Ed25519 key)."""
    name, key_hash, key = text.strip().split("+", 2)
    raw = base64.b64decode(key)
    if len(raw) != 33 or raw[0] != 1:
        fail("the verifier key is not an Ed25519 key")
    public = raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + public).digest()[:4]
    if key_id.hex() != key_hash:
        fail("the verifier key's hash does not match its key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(public)


def open_note(note, verifier):
    """The text of a signed note once the verifier's signature on it checks."""
    name, key_id, public = verifier
    split = note.rfind("\n\n\u2014 ")
    if split < 0 or not note.endswith("\n"):
        fail("not a signed note")
    text, signatures = note[: split + 1], note[split + 2:].split("\n")[:-1]
    verified = False
    for line in signatures:
        if not line.startswith("\u2014 "):
            fail("a signature line is malformed")
        signer, _, signature = line[2:].partition(" ")
        blob = base64.b64decode(signature)
        if signer != name or blob[:4] != key_id:
            continue
        try:
            public.verify(blob[4:], text.encode())
        except InvalidSignature:
            fail("the signature of " + name + " does not verify: the note was altered")
        verified = True
    if not verified:
        fail("no signature of " + name)
    return text


def checkpoint(note, verifier):
    lines = open_note(note, verifier).split("\n")
    if len(lines) < 4 or lines[0] != verifier[0]:
        fail("not a checkpoint of " + verifier[0])
    return int(lines[1]), base64.b64decode(lines[2])


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second:
        return first == 0 and not proof
    if first & (first - 1) == 0:
        proof = [first_root] + proof
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_receipt(text, verifier):
    try:
        receipt = json.loads(text)
    except ValueError:
        fail("the receipt is not JSON")
    if receipt.get("format") != "consentry-receipt/1":
        fail("not a consentry-receipt/1")
    size, root = checkpoint(receipt["checkpoint"], verifier)
    if size != receipt["size"]:
        fail("the receipt's size is not its checkpoint's")
    leaf_hash = hashlib.sha256(b"\x00" + receipt["leaf"].encode()).digest()
    proof = [base64.b64decode(h) for h in receipt["proof"]]
    if not verify_inclusion(leaf_hash, receipt["index"], size, proof, root):
        fail("the leaf is not in the log the checkpoint signs: the receipt was altered")
    return receipt["leaf"]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def main(argv):
    command = argv[1]
    if command == "checkpoint":
        size, root = checkpoint(get(argv[2] + "/log/v1/checkpoint"), parse_verifier_key(argv[3]))
        print(size, base64.b64encode(root).decode())
    elif command == "consistency":
        verifier = parse_verifier_key(argv[3])
        first, first_root = int(argv[4]), base64.b64decode(argv[5])
        second, second_root = checkpoint(get(argv[2] + "/log/v1/checkpoint"), verifier)
        answer = json.loads(get(f"{argv[2]}/log/v1/proof/consistency?first={first}&second={second}"))
        proof = [base64.b64decode(h) for h in answer["proof"]]
        if not verify_consistency(first, second, first_root, second_root, proof):
            fail(f"checkpoint {second} does not extend checkpoint {first}")
        print(f"consistent: {first} -> {second}")
    elif command == "receipt":
        with open(argv[2], encoding="utf-8") as f:
            print(verify_receipt(f.read(), parse_verifier_key(argv[3])))
    elif command == "note-file":
        with open(argv[2], encoding="utf-8") as f:
            checkpoint(f.read(), parse_verifier_key(argv[3]))
        print("verified")
    else:
        fail("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
