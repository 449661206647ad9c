#!/usr/bin/python3
"""detection_table.py OUT RUN_DIR...: the table of tools/bench/detection_quality.sh.

Reads each RUN_DIR/report.json (storesim's report, docs/simulator.md), prints one row per
figure with a column per run, a column summed over the simulated runs ("sim") and the replay,
and writes the same as JSON to OUT. Sums are recomputed from counts (precision = TP / alerts,
false alerts per 1,000 SKU-days and per store-day over the summed SKU-days and open days,
recall = found / events, medians over the pooled delays), never averaged.
"""
import json
import os
import statistics
import sys

TYPES = ["ghost_stock", "shelf_out", "ml_detected", "inventory_discrepancy"]


def load(run):
    with open(os.path.join(run, "report.json")) as f:
        return json.load(f)


def ratio(a, b):
    return a / b if b else None


def median(xs):
    return float(statistics.median(xs)) if xs else None


def figures(reports):
    """Every figure of the table over one or more reports (summed counts)."""
    f = {}
    sku_days = sum(r["store"]["sku_days"] for r in reports)
    open_days = sum(r["store"]["open_days"] for r in reports)
    f["SKU-days"] = sku_days
    f["store-days (open)"] = open_days
    for t in TYPES:
        g = [r["types"][t] for r in reports]
        tp = sum(x["true_positives"] for x in g)
        fp = sum(x["false_positives"] for x in g)
        f[f"{t} alerts"] = tp + fp
        f[f"{t} precision"] = ratio(tp, tp + fp)
        f[f"{t} false per 1000 SKU-days"] = 1000.0 * fp / sku_days if sku_days else None
        f[f"{t} false per store-day"] = ratio(fp, open_days)
        for sev in ("critical", "warning", "info"):
            for which in ("first", "highest"):
                b = [x[f"by_{which}_severity"][sev] for x in g]
                n = sum(y["alerts"] for y in b)
                if which == "first" or n:
                    f[f"{t} {sev} ({which}) alerts / precision"] = (
                        n, ratio(sum(y["true_positives"] for y in b), n))
    g = [r["types"]["ghost_stock"] for r in reports]
    for suffix, label in (("", "all"), ("_that_matter", "that matter")):
        ev = sum(x["events" + suffix] for x in g)
        found = sum(x["events_detected" + suffix] for x in g)
        delays = [d for x in g for d in x.get("detection_delays_days" + suffix, [])]
        f[f"ghost recall, {label}"] = (found, ev, ratio(found, ev))
        f[f"ghost median days to detect, {label}"] = median(delays)
        f[f"ghost mean days to detect, {label}"] = ratio(sum(delays), len(delays))
    for c in ("total", "partial", "shrink"):
        ev = sum(x["by_class_that_matter"][c]["events"] for x in g)
        found = sum(x["by_class_that_matter"][c]["events_detected"] for x in g)
        f[f"ghost recall, that matter, {c}"] = (found, ev, ratio(found, ev))
    f["ghost: SKUs without a ghost flagged"] = (sum(x["skus_without_ghost_flagged"] for x in g),
                                                sum(x["skus_without_ghost"] for x in g))
    for key in ("false_positives_on_or_after_closed_day", "false_positives_on_unheard_sales",
                "false_positives_on_promotion_days", "false_positives_during_stockout"):
        f[f"ghost {key.replace('_', ' ')}"] = sum(x[key] for x in g)
    s = [r["types"]["shelf_out"] for r in reports]
    ev, found = sum(x["events"] for x in s), sum(x["events_detected"] for x in s)
    f["shelf_out recall (empty shelf with a book)"] = (found, ev, ratio(found, ev))
    m = [r["types"]["ml_detected"] for r in reports]
    for kind in m[0]["by_kind"]:
        ev = sum(x["by_kind"][kind]["events"] for x in m)
        found = sum(x["by_kind"][kind]["events_detected"] for x in m)
        f[f"ml_detected recall, {kind}"] = (found, ev, ratio(found, ev))
    for scope in ("store", "category"):
        outs = [o for r in reports for o in r["pos_outages"] if o["scope"] == scope]
        f[f"ghost alerts on/after a {scope} POS outage (false)"] = (
            sum(o["ghost_alerts_that_day_or_next"] for o in outs), sum(o["false"] for o in outs),
            len(outs))
    closed = [c for r in reports for c in r["closed_days"]]
    f["ghost alerts on/after a closed day (false)"] = (
        sum(c["ghost_alerts_that_day_or_next"] for c in closed), sum(c["false"] for c in closed),
        len(closed))
    return f


def show(v):
    if v is None:
        return "-"
    if isinstance(v, tuple):
        if len(v) == 3 and isinstance(v[2], float):
            return f"{v[2]:.3f} ({v[0]}/{v[1]})"
        if len(v) == 3:
            return f"{v[0]} ({v[1]}) in {v[2]}"
        if len(v) == 2 and (v[1] is None or isinstance(v[1], float)):
            return f"{v[0]} / {show(v[1])}"
        return f"{v[0]} of {v[1]}"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def main(out, runs):
    reports = {os.path.basename(r): load(r) for r in runs}
    cols = {name: figures([rep]) for name, rep in reports.items()}
    sims = [rep for name, rep in reports.items() if name != "replay"]
    if len(sims) > 1:
        cols["sim (summed)"] = figures(sims)
    width = max(len(k) for k in next(iter(cols.values())))
    names = list(cols)
    cw = [max(16, len(n)) for n in names]
    print(f"{'figure':{width}}  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, cw)))
    for key in next(iter(cols.values())):
        print(f"{key:{width}}  " + "  ".join(f"{show(cols[n].get(key)):>{w}}"
                                             for n, w in zip(names, cw)))
    with open(out, "w") as f:
        json.dump({n: {k: v for k, v in c.items()} for n, c in cols.items()}, f, indent=1)
    print(f"(also in {out})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
