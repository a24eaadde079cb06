"""Reads criterion's estimates (target/criterion/GROUP/FUNCTION/new/estimates.json) for the
decoder groups of bench/benches/decoders.rs and prints one JSON line per group in the shape of
bench/results.json: protoapi's mean time against serde's, ratio = serde's time over protoapi's."""

import json
import os
import sys


def mean_ns(root, group, function):
    path = os.path.join(root, group, function, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]


def main(root):
    for group in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, group, "protoapi")):
            continue
        ours = mean_ns(root, group, "protoapi")
        theirs = mean_ns(root, group, "serde")
        print(json.dumps({
            "name": f"decode: {group}",
            "protoapi": round(ours, 1),
            "baseline": round(theirs, 1),
            "unit": "ns",
            "ratio": round(theirs / ours, 3),
            "baseline_is": "serde_json / serde_urlencoded",
        }))


if __name__ == "__main__":
    main(sys.argv[1])
