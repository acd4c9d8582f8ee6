#!/usr/bin/env python3
"""Differential replay (not coverage-guided) of canonical JSON: our JCS against the official
PacSpace SDK's `canonicalize_jcs` (pacspace-sdk==0.7.0).

  sdk-jcs-replay.py generate DIR N   writes N seeded random JSON texts to DIR (inputs to replay)
  sdk-jcs-replay.py compare          reads `vericord-fuzz-replay jcs` lines on stdin: each input
                                     text with our JCS or error code, and compares

The SDK canonicalizes a Python value, so the text is read by Python's json with I-JSON's rule
(a member name once per object) applied; then both must refuse, or both give the same text.
Known, intended differences are counted, not failed: a lone surrogate (RFC 8785 §3.2.2.2 makes
it an error; the SDK escapes it) and nesting deeper than our limit of 64.
"""

import json
import random
import sys
from pathlib import Path

from pacspace_sdk.record_disclosure import canonicalize_jcs


def strict_pairs(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError(f"duplicate member {k!r}")
        seen[k] = v
    return seen


def sdk(text):
    try:
        return canonicalize_jcs(json.loads(text, object_pairs_hook=strict_pairs))
    except Exception:  # any refusal: JcsError, a parse error, RecursionError, OverflowError
        return None


def has_lone_surrogate(value):
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    return False


def depth(value):
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


def known_difference(text):
    try:
        value = json.loads(text, object_pairs_hook=strict_pairs)
    except Exception:
        return None
    if has_lone_surrogate(value):
        return "lone surrogate"
    if depth(value) > 65:
        return "nesting"
    return None


def random_value(rng, level=0):
    pick = rng.randrange(10 if level < 4 else 6)
    if pick == 0:
        return rng.choice([None, True, False])
    if pick == 1:
        return rng.randrange(-(2**63), 2**63) >> rng.randrange(64)
    if pick == 2:
        return rng.choice([0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, -0.0, 333333333.33333329]) * rng.choice([1, -1, 3, 1e10, 1e-10])
    if pick == 3:
        return rng.uniform(-1e6, 1e6)
    if pick in (4, 5):
        alphabet = "aZ09 \"\\/\b\f\n\r\t\u0000\u001f\u007f\u0080é€\u2028\u2029\ufeff\uffff😀𝄞"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
    if pick in (6, 7):
        return [random_value(rng, level + 1) for _ in range(rng.randrange(5))]
    keys = ["a", "b", "B", "é", "€", "😀", "\ufb33", "\U0001f600x", "", "10", "1"]
    return {rng.choice(keys) + rng.choice(["", "x"]): random_value(rng, level + 1) for _ in range(rng.randrange(5))}


def generate(out, n):
    rng = random.Random(8785)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(int(n)):
        v = random_value(rng)
        indent = rng.choice([None, None, 1, "\t"])
        text = json.dumps(v, ensure_ascii=rng.random() < 0.5, indent=indent, sort_keys=rng.random() < 0.3)
        (out / f"gen-{i:05}").write_text(text, encoding="utf-8")


def compare():
    n = agree = both_refuse = 0
    known = {}
    failures = []
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        n += 1
        text, ours = case["input"], case["ours"]
        theirs = sdk(text)
        if ours is not None and ours == theirs:
            agree += 1
        elif ours is None and theirs is None:
            both_refuse += 1
        elif ours is None and (why := known_difference(text)):
            known[why] = known.get(why, 0) + 1
        else:
            failures.append(f"{case['file']}: ours {ours!r} ({case['error']}), SDK {theirs!r}")
    for f in failures[:20]:
        print(f"FAIL {f}", file=sys.stderr)
    print(
        f"sdk-jcs-replay: {n} inputs; same JCS {agree}, both refuse {both_refuse}, "
        f"known differences {known or 'none'}; disagreements: {len(failures)}"
    )
    sys.exit(1 if failures or n == 0 else 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["generate"] and len(sys.argv) == 4:
        generate(sys.argv[2], sys.argv[3])
    elif sys.argv[1:] == ["compare"]:
        compare()
    else:
        sys.exit(__doc__)
