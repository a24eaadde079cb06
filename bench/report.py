"""Turns bench/run.sh's raw measurements into the table it prints and bench/results.json.

Input lines (tab-separated): case, side (protoapi or baseline), value, unit, better
(`higher` for throughput, `lower` for times and memory), baseline's name. One line per round;
each figure is the median of its rounds. `ratio` is protoapi's over the baseline's when higher is
better and the baseline's over protoapi's when lower is better, so that above 1 always means
protoapi did better; 1 when both figures are 0, and null (`—` in the table) when only the
divisor is.

With `--merge` (run.sh passes it with ONLY), the cases measured replace their entries in the
JSON file and every other entry stays; the table shows the cases measured.
"""

import json
import statistics
import sys


def main(raw_path, json_path, extra_paths, merge=False):
    cases = {}
    order = []
    with open(raw_path) as raw:
        for line in raw:
            case, side, value, unit, better, against = line.rstrip("\n").split("\t")
            if case not in cases:
                cases[case] = {"unit": unit, "better": better, "against": against,
                               "protoapi": [], "baseline": []}
                order.append(case)
            cases[case][side].append(float(value))

    results = []
    for case in order:
        c = cases[case]
        if not c["protoapi"] or not c["baseline"]:
            continue
        ours = statistics.median(c["protoapi"])
        theirs = statistics.median(c["baseline"])
        ratio = ratio_of(ours, theirs) if c["better"] == "higher" else ratio_of(theirs, ours)
        results.append({
            "name": case,
            "protoapi": round(ours, 3),
            "baseline": round(theirs, 3),
            "unit": c["unit"],
            "ratio": None if ratio is None else round(ratio, 3),
            "baseline_is": c["against"],
            "rounds": len(c["protoapi"]),
            # The spread of the runs, lowest and highest, to judge the noise by.
            "protoapi_range": [round(min(c["protoapi"]), 3), round(max(c["protoapi"]), 3)],
            "baseline_range": [round(min(c["baseline"]), 3), round(max(c["baseline"]), 3)],
        })
    # Figures measured elsewhere (the compile-cost script) come as JSON lines of the same shape.
    for path in extra_paths:
        with open(path) as extra:
            for line in extra:
                line = line.strip()
                if line.startswith("{"):
                    results.append(json.loads(line))

    measured = results
    if merge:
        # Each case measured now takes its earlier entry's place; the others stay as they were.
        try:
            with open(json_path) as earlier:
                kept = json.load(earlier)
        except FileNotFoundError:
            kept = []
        fresh = {r["name"]: r for r in results}
        merged = [fresh.pop(r["name"], r) for r in kept]
        results = merged + [r for r in results if r["name"] in fresh]

    with open(json_path, "w") as out:
        json.dump(results, out, indent=2, ensure_ascii=False, allow_nan=False)
        out.write("\n")

    name_width = max([len(r["name"]) for r in measured] + [4])
    print(f"{'case':<{name_width}}  {'protoapi':>12}  {'baseline':>12}  {'unit':<8}  {'ratio':>6}  baseline")
    for r in measured:
        print(f"{r['name']:<{name_width}}  {r['protoapi']:>12,.1f}  {r['baseline']:>12,.1f}  "
              f"{r['unit']:<8}  {shown_ratio(r['ratio'])}  {r.get('baseline_is', '')}")


def ratio_of(num, den):
    """num / den; 1 when both are 0 (the two sides are even), None when only den is (no ratio
    says how far apart they are; JSON has no infinity).

    >>> ratio_of(3, 2)
    1.5
    >>> ratio_of(0, 0)
    1.0
    >>> ratio_of(5, 0) is None
    True
    """
    if den:
        return num / den
    return 1.0 if num == 0 else None


def shown_ratio(ratio):
    return f"{ratio:>6.3f}" if ratio is not None else f"{'—':>6}"


if __name__ == "__main__":
    args = sys.argv[1:]
    merge = bool(args) and args[0] == "--merge"
    if merge:
        args = args[1:]
    main(args[0], args[1], args[2:], merge)
