#!/usr/bin/env python3
"""Reproduces tests/vectors with the official PacSpace SDK's primitives only.

Keccak-256 is `pacspace_sdk.keccak.keccak256` and JCS is
`pacspace_sdk.record_disclosure.canonicalize_jcs`; everything else (tags, the RFC 9162
tree, sorted-pair nodes, EIP-55) is written out here. Also compares our JCS
(`vericord-vectors --jcs-lines`) with the SDK's on a seeded corpus of JSON values.

Run from anywhere: python tests/independent/sdk_check.py  (needs pacspace-sdk==0.7.0;
set VERICORD_JCS_CMD to override the command that runs our canonicalizer).
"""

import functools
import json
import os
import random
import shlex
import struct
import subprocess
import sys
from pathlib import Path

from pacspace_sdk.keccak import keccak256
from pacspace_sdk.record_disclosure import JcsError, canonicalize_jcs

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def load(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def tagged(tag, payload):
    return keccak256(tag.encode() + b"\x00" + payload)


def hx(b):
    return "0x" + b.hex()


# --- RFC 9162 Merkle tree hash with sorted-pair (OpenZeppelin) nodes ---------------------
@functools.lru_cache(maxsize=None)  # a pure function; the cache only saves re-hashing
def node(a, b):
    return keccak256(min(a, b) + max(a, b))


def split(n):
    """Largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves):
    if not leaves:
        return bytes(32)
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def fold(leaf, proof):
    acc = leaf
    for sibling in proof:
        acc = node(acc, sibling)
    return acc


def eip55(addr):
    lower = addr.hex()
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(d, 16) >= 8 else c for c, d in zip(lower, digest))


# --- known-answer vectors --------------------------------------------------------------
def check_items():
    v = load("items.json")
    for case in v["items"]:
        jcs = canonicalize_jcs(case["item"])
        check(jcs == case["canonical"], f"item canonical {case['item']['recordId']}")
        check(hx(tagged("vericord:item:v1", jcs.encode())) == case["itemHash"], f"itemHash {case['itemHash']}")
    for case in v["entries"]:
        jcs = canonicalize_jcs({k: case[k] for k in ("seq", "itemHash", "balanceAfter")})
        check(jcs == case["canonical"], f"entry canonical seq {case['seq']}")
        check(hx(tagged("vericord:entry:v1", jcs.encode())) == case["entryHash"], f"entryHash seq {case['seq']}")
    return len(v["items"]), len(v["entries"])


def check_references():
    cases = load("references.json")["references"]
    for c in cases:
        payload = "\x00".join((c["tenantId"], c["environment"], c["customerId"])).encode()
        got = eip55(tagged("vericord:customer:v1", payload)[12:])
        check(got == c["customerReference"], f"customerReference {c['customerReference']}")
    return len(cases)


def check_trees():
    trees = load("trees.json")["trees"]
    proofs = 0
    for t in trees:
        leaves = [tagged("vericord:vector-leaf:v1", str(i).encode()) for i in range(t["size"])]
        check([hx(x) for x in leaves] == t["leaves"], f"leaves of size {t['size']}")
        root = mth(leaves)
        check(hx(root) == t["root"], f"root of size {t['size']}")
        for inc in t["inclusion"]:
            proof = [bytes.fromhex(p[2:]) for p in inc["proof"]]
            check(fold(leaves[inc["index"]], proof) == root, f"inclusion {inc['index']}/{t['size']}")
            proofs += 1
    return len(trees), proofs


def check_jcs_vectors():
    cases = load("jcs.json")["valid"]
    for c in cases:
        check(canonicalize_jcs(json.loads(c["input"])) == c["canonical"], f"jcs.json {c['input']!r}")
    return len(cases)


# --- JCS corpus ------------------------------------------------------------------------
# Numbers: json.loads gives Python ints (unbounded) and floats. canonicalize_jcs maps both
# through float(value): ints round half-to-even to the nearest double, and ints beyond the
# double range raise JcsError. That is exactly JCS's "numbers are IEEE-754 doubles", and
# ours does the same (serde_json reads u64/i64 and the canonicalizer casts them `as f64`;
# longer integers are parsed as doubles; out-of-range numbers are errors). So big ints stay
# in the corpus as they are, including inexact ones (2**53+1) and ones past 1.8e308, where
# both sides must refuse.
SPECIAL_NUMBERS = [
    0, -0.0, 0.0, 1, -1, 1e21, 1e-7, -1e-7, 5e-324, -5e-324, 1e308, 1.7976931348623157e308,
    2.2250738585072014e-308, 2**53 - 1, 2**53, 2**53 + 1, -(2**53 + 1), 2**63 - 1, 2**63,
    -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 2**68, 10**21 - 1, 10**21, 10**22, 10**30,
    0.1, 0.2, 0.30000000000000004, 333333333.33333329, 1e-6, 9.999999999999997e-7,
    999999999999999700000.0, 1424953923781206.2, 4.5, 2e-3, 1e30, 123456789012345680000,
]
OUT_OF_RANGE = [10**309, -(10**400)]
POOLS = [
    "abcXYZ019 _-.:/@",
    "".join(map(chr, range(0x20))) + "\x7f",
    '"\\/',
    "éöß€\u2028\u2029\ufeff\ufb33\uffff\ue000\u00a0日本語עבריתالعربية",
    "e\u0301\u0308\u20dd\u200d",
    "😀🔑𝄞\U0010ffff👨‍👩",
]


def rand_char(rng):
    if rng.random() < 0.15:
        while True:
            cp = rng.randint(0x20, 0x10FFFF)
            if not 0xD800 <= cp <= 0xDFFF:
                return chr(cp)
    return rng.choice(rng.choice(POOLS))


def rand_string(rng):
    return "".join(rand_char(rng) for _ in range(rng.randint(0, 8)))


def rand_number(rng):
    r = rng.random()
    if r < 0.25:
        return rng.choice(SPECIAL_NUMBERS)
    if r < 0.5:
        while True:
            (x,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
            if x == x and abs(x) != float("inf"):
                return x
    if r < 0.65:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 9))
    if r < 0.85:
        return rng.randint(-(2**70), 2**70)
    return rng.randint(-1000, 1000)


def rand_value(rng, depth=0):
    r = rng.random()
    if depth < 4 and r < 0.3:
        return {rand_string(rng): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 6))}
    if depth < 4 and r < 0.5:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 6))]
    if r < 0.75:
        return rand_string(rng)
    if r < 0.95:
        return rand_number(rng)
    return rng.choice([None, True, False])


def corpus(rng, n):
    values = [rand_value(rng) for _ in range(n)] + SPECIAL_NUMBERS + OUT_OF_RANGE
    values += [{"n": x, "s": [x]} for x in SPECIAL_NUMBERS]
    texts = []
    for v in values:
        sep = rng.choice([(",", ":"), (", ", ": ")])
        texts.append(json.dumps(v, ensure_ascii=rng.random() < 0.5, separators=sep))
    return texts


def our_jcs(texts):
    cmd = os.environ.get("VERICORD_JCS_CMD")
    cmd = shlex.split(cmd) if cmd else ["cargo", "run", "-q", "-p", "vericord-vectors", "--", "--jcs-lines"]
    stdin = "".join(t + "\n" for t in texts).encode()
    out = subprocess.run(cmd, input=stdin, capture_output=True, check=True, cwd=ROOT).stdout
    # Split on "\n" only: JCS text may contain U+2028 and friends, which splitlines() splits on.
    lines = out.decode().split("\n")
    if lines[-1] != "" or len(lines) - 1 != len(texts):
        sys.exit(f"--jcs-lines returned {len(lines) - 1} lines for {len(texts)} inputs")
    return lines[:-1]


def sdk_jcs(text):
    try:
        return canonicalize_jcs(json.loads(text))
    except JcsError:
        return None


def check_corpus():
    rng = random.Random(8785)
    texts = corpus(rng, 2000)
    # Lone surrogates: RFC 8785 §3.2.2.2 requires an error; the SDK escapes them instead.
    lone = [json.dumps(s) for s in ["\ud800", "a\udc00b", {"\udbff": 1}, ["\ude00", "ok"], "\ud83d"]]
    answers = our_jcs(texts + lone)
    agree = both_refuse = 0
    for text, ours in zip(texts, answers):
        sdk = sdk_jcs(text)
        if sdk is None and ours.startswith("ERROR "):
            both_refuse += 1
        elif sdk == ours:
            agree += 1
        else:
            failures.append(f"JCS differs for {text!r}: ours {ours!r}, SDK {sdk!r}")
    for text, ours in zip(lone, answers[len(texts):]):
        check(ours == "ERROR JSON_INVALID", f"lone surrogate accepted: {text}")
    return len(texts), agree, both_refuse, len(lone)


def main():
    items, entries = check_items()
    references = check_references()
    trees, proofs = check_trees()
    jcs_vectors = check_jcs_vectors()
    total, agree, both_refuse, lone = check_corpus()
    for f in failures[:20]:
        print("FAIL", f, file=sys.stderr)
    print(
        f"sdk_check: {items} itemHashes, {entries} entryHashes, {references} customerReferences, "
        f"{trees} tree roots, {proofs} inclusion proofs, {jcs_vectors} jcs.json cases reproduced; "
        f"JCS corpus {total} values: {agree} identical, {both_refuse} refused by both, "
        f"{lone} lone-surrogate texts refused by ours (SDK escapes them); failures: {len(failures)}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
