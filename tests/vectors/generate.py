#!/usr/bin/env python3
"""Golden bucket vectors for gradual's hash contract, from the reference algorithm.

The seed bucket is the article's `GradualFeatureRollout.should_user_get_feature`
arithmetic, verbatim: `int(hashlib.md5(f"{feature}:{user_id}".encode()).hexdigest(), 16) % 100`.
The fine bucket (basis points) is the contract's refinement of it:
`(h % 100) * 100 + (h // 100) % 100`.

Run `python3 tests/vectors/generate.py > tests/vectors/buckets.jsonl`. The output is
frozen: a change to it is a breaking change to every user's buckets.
Each line is a JSON object (UTF-8, not ASCII-escaped): feature, unit, the seed
bucket, the fine bucket, the MD5 hex digest of the key, and the variant bucket
(the contract's variant split: `(h >> 64) % 10000`, the digest's first eight bytes
read big-endian, mod 10000).
"""
import hashlib
import json
import random


def reference_bucket(feature, user_id):
    """The article's bucket, unchanged."""
    composite_key = f"{feature}:{user_id}"
    hash_digest = hashlib.md5(composite_key.encode()).hexdigest()
    return int(hash_digest, 16) % 100


def fine_bucket(feature, user_id):
    h = int(hashlib.md5(f"{feature}:{user_id}".encode()).hexdigest(), 16)
    return (h % 100) * 100 + (h // 100) % 100


def variant_bucket(feature, user_id):
    """The variant split's bucket: the high 64 bits of the digest, mod 10000."""
    h = int(hashlib.md5(f"{feature}:{user_id}".encode()).hexdigest(), 16)
    return (h >> 64) % 10000


def cases():
    yield "new_checkout_design", "user-42"
    yield "new_checkout_design", "user-1"
    yield "dark_mode", "alice"
    yield "", ""
    yield "café", "ünïcode"
    # empty sides
    yield "", "user-1"
    yield "feature", ""
    # non-ASCII: accents, CJK, emoji (4-byte UTF-8), RTL, combining marks
    for unit in ["José", "東京", "😀🚀", "مرحبا", "e\u0301", "Ω≈ç√", "\u00a0", "tab\there", "line\nbreak"]:
        yield "intl_feature", unit
    yield "ñandú", "user-7"
    yield "功能", "用户"
    # keys of every length from 1 to 200 bytes: around the 55/56/64-byte block edges
    for n in range(0, 201):
        yield "f", "u" * max(0, n - 2)
    # long keys over several blocks
    for n in [500, 1000, 4096]:
        yield "long_feature_" + "x" * 20, "y" * n
    # random realistic ids, seeded so the file is reproducible
    rng = random.Random(20261123)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_"
    features = ["new_checkout_design", "search_v2_ranking__", "dark_mode", "a", "payments.retry_policy"]
    for i in range(320):
        feature = features[i % len(features)]
        unit = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        yield feature, unit
    for i in range(40):
        yield "new_checkout_design", f"user-{i}"


def main():
    seen = set()
    for feature, unit in cases():
        if (feature, unit) in seen:
            continue
        seen.add((feature, unit))
        seed = reference_bucket(feature, unit)
        fine = fine_bucket(feature, unit)
        assert fine // 100 == seed
        digest = hashlib.md5(f"{feature}:{unit}".encode()).hexdigest()
        variant = variant_bucket(feature, unit)
        row = {"feature": feature, "unit": unit, "seed": seed, "fine": fine, "md5": digest, "variant": variant}
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
