#!/usr/bin/python3
"""Parity benchmark: shelfwatch's Isolation Forest (core/iforest.c) against scikit-learn's.

For each data set and seed the same float32 matrix is written to a CSV; bench_iforest
(the C forest) and scikit-learn's IsolationForest (n_estimators=100, max_samples=256,
contamination=0.05, random_state=seed) each run in their own process on it, so that
their peak RSS is separable. Reported side by side: ROC AUC against the labels, fit
time (fit includes scoring the training rows for the threshold, on both sides), score
time (score every row again), peak RSS of each process (VmHWM: the interpreter and its
libraries for sklearn), the growth of that peak from "data loaded" to "fit + score done",
and the bytes the model needs beyond the data (C: forest block + fit scratch + scores,
2 x 8 bytes a row; sklearn: tracemalloc peak of a second, untimed fit + score, which
numpy reports its arrays into; memory of the Cython trees outside numpy is not traced).
Both sides run single-threaded (sklearn's n_jobs=None).

Usage: iforest_parity.py --bench BUILD/bench_iforest [--features FILE] [--seeds 10]
Needs Debian's python3-sklearn and python3-numpy (benchmark only).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

GOAL = 0.01  # |mean AUC difference| allowed per data set

RETAIL_HEADER = ("sales_7d,sales_trend_7d,quantity_on_hand,unit_price,day_of_week,"
                 "is_holiday,stock_turnover,price_vs_avg")


def vm_kb(field):
    """A VmXXX field of /proc/self/status in kB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def sklearn_worker(csv, seed, out):
    """Fit and score with scikit-learn in this process; print 'key value' lines."""
    import tracemalloc

    import numpy as np
    from sklearn.ensemble import IsolationForest

    data = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.float64)
    x = np.ascontiguousarray(data[:, :-1], dtype=np.float32)
    hwm_before = vm_kb("VmHWM")

    def run():
        model = IsolationForest(n_estimators=100, max_samples=256, contamination=0.05,
                                random_state=seed)
        t0 = time.perf_counter()
        model.fit(x)
        t1 = time.perf_counter()
        s = -model.score_samples(x)
        t2 = time.perf_counter()
        return model, s, (t1 - t0) * 1e3, (t2 - t1) * 1e3

    model, scores, fit_ms, score_ms = run()
    hwm_after = vm_kb("VmHWM")
    # Second, separate run for the allocation peak: tracemalloc slows the timed one.
    tracemalloc.start()
    run()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.savetxt(out, scores, fmt="%.17g")
    print(f"rows {x.shape[0]}\nfeatures {x.shape[1]}")
    print(f"fit_ms {fit_ms:.3f}\nscore_ms {score_ms:.3f}")
    print(f"threshold {-model.offset_:.17g}")
    print(f"vmhwm_before_kb {hwm_before}\nvmhwm_after_kb {hwm_after}")
    print(f"traced_peak_bytes {traced_peak}")


def parse_kv(text):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        out[k] = v
    return out


def breast_cancer(seed):
    """sklearn's breast-cancer data: all benign rows, malignant subsampled to about 8%."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    benign = d.data[d.target == 1]
    malignant = d.data[d.target == 0]
    rng = np.random.default_rng(seed)
    n_anom = int(round(len(benign) * 0.08 / 0.92))
    pick = malignant[rng.choice(len(malignant), n_anom, replace=False)]
    x = np.vstack([benign, pick])
    y = np.concatenate([np.zeros(len(benign)), np.ones(n_anom)])
    header = ",".join(n.replace(" ", "_") for n in d.feature_names)
    return x, y, header


def retail_synthetic(seed, n=20000, anomaly_rate=0.02):
    """Retail-like SKU-day rows with the daemon's 8 features and injected anomalies:
    ghost stock (no sales, stock on the book), sales spikes, overstock, price errors."""
    import numpy as np

    rng = np.random.default_rng(1000 + seed)
    rate = np.exp(rng.normal(0.5, 1.0, n))                # units/day per SKU, log-normal
    prev7 = rng.poisson(7 * rate).astype(float)
    sales7 = rng.poisson(7 * rate * np.exp(rng.normal(0, 0.1, n))).astype(float)
    qoh = np.round(rate * rng.uniform(7, 28, n)) + rng.integers(0, 6, n)
    price = np.round(np.exp(rng.normal(1.5, 0.8, n)), 2)
    dow = rng.integers(0, 7, n).astype(float)
    holiday = (rng.random(n) < 0.03).astype(float)
    pva = rng.normal(1.0, 0.08, n)
    y = np.zeros(n)
    kind = rng.integers(0, 4, n)
    anom = rng.random(n) < anomaly_rate
    ghost = anom & (kind == 0)
    sales7[ghost] = 0
    qoh[ghost] = np.round(rate[ghost] * rng.uniform(20, 40, ghost.sum())) + 5
    spike = anom & (kind == 1)
    sales7[spike] = np.round(sales7[spike] * rng.uniform(2.5, 4, spike.sum())) + 5
    over = anom & (kind == 2)
    qoh[over] = np.round(qoh[over] * rng.uniform(6, 12, over.sum())) + 20
    price_err = anom & (kind == 3)
    pva[price_err] = rng.uniform(1.35, 2.0, price_err.sum())
    price[price_err] = np.round(price[price_err] * pva[price_err], 2)
    y[anom] = 1
    trend = (sales7 - prev7) / np.maximum(prev7, 1)
    turnover = sales7 / np.maximum(qoh, 1)
    x = np.column_stack([sales7, trend, qoh, price, dow, holiday, turnover, pva])
    return x, y, RETAIL_HEADER


def features_file(path):
    import numpy as np

    with open(path) as f:
        header = f.readline().strip()
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return data[:, :-1], data[:, -1], header.rsplit(",", 1)[0]


def write_csv(path, x, y, header):
    import numpy as np

    # float32 values written so that they read back exactly: both sides see the same data.
    x32 = np.asarray(x, dtype=np.float32)
    with open(path, "w") as f:
        f.write(header + ",label\n")
        for row, label in zip(x32, y):
            f.write(",".join("%.9g" % v for v in row) + ",%d\n" % int(label))


def run_pair(bench, tmp, name, seed, x, y, header):
    import numpy as np
    from sklearn.metrics import roc_auc_score

    csv = os.path.join(tmp, f"{name}-{seed}.csv")
    write_csv(csv, x, y, header)
    c_out = csv + ".c.scores"
    sk_out = csv + ".sk.scores"
    c = parse_kv(subprocess.run([bench, "--csv", csv, "--out", c_out, "--seed", str(seed)],
                                check=True, capture_output=True, text=True).stdout)
    sk = parse_kv(subprocess.run([sys.executable, os.path.abspath(__file__), "--sklearn-worker",
                                  csv, str(seed), sk_out],
                                 check=True, capture_output=True, text=True).stdout)
    c_scores = np.loadtxt(c_out)
    sk_scores = np.loadtxt(sk_out)
    n = len(y)
    return {
        "name": name, "seed": seed, "rows": n, "features": x.shape[1],
        "anomalies": int(y.sum()),
        "auc_c": roc_auc_score(y, c_scores), "auc_sk": roc_auc_score(y, sk_scores),
        "fit_c": float(c["fit_ms"]), "fit_sk": float(sk["fit_ms"]),
        "score_c": float(c["score_ms"]), "score_sk": float(sk["score_ms"]),
        "rss_c": int(c["vmhwm_after_kb"]), "rss_sk": int(sk["vmhwm_after_kb"]),
        "rss_delta_c": int(c["vmhwm_after_kb"]) - int(c["vmhwm_data_kb"]),
        "rss_delta_sk": int(sk["vmhwm_after_kb"]) - int(sk["vmhwm_before_kb"]),
        "model_c": int(c["forest_memory_bytes"]) + 2 * 8 * n,
        "model_sk": int(sk["traced_peak_bytes"]),
        "pool_c": int(c["node_pool_bytes"]), "nodes_c": int(c["nodes_used"]),
        "flag_c": float((c_scores >= float(c["threshold"])).mean()),
        "flag_sk": float((sk_scores >= float(sk["threshold"])).mean()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", help="path of the built bench_iforest")
    ap.add_argument("--features", help="CSV: header, 8 feature columns, label (0/1) last")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--sklearn-worker", nargs=3, metavar=("CSV", "SEED", "OUT"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.sklearn_worker:
        sklearn_worker(a.sklearn_worker[0], int(a.sklearn_worker[1]), a.sklearn_worker[2])
        return 0
    if not a.bench or not os.access(a.bench, os.X_OK):
        ap.error("--bench must name the built bench_iforest")

    import numpy as np
    import sklearn

    sets = [("breast_cancer", breast_cancer)]
    if a.features:
        fx, fy, fh = features_file(a.features)
        sets.append((os.path.basename(a.features), lambda seed: (fx, fy, fh)))
    else:
        sets.append(("retail_synthetic", retail_synthetic))

    print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; seeds 1..{a.seeds}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in sets:
            for seed in range(1, a.seeds + 1):
                x, y, header = make(seed)
                r = run_pair(a.bench, tmp, name, seed, x, y, header)
                results.append(r)
                print(f"{name} seed {seed}: rows {r['rows']} anomalies {r['anomalies']} "
                      f"AUC C {r['auc_c']:.4f} sklearn {r['auc_sk']:.4f} "
                      f"(diff {r['auc_c'] - r['auc_sk']:+.4f}); "
                      f"fit {r['fit_c']:.1f}/{r['fit_sk']:.1f} ms, "
                      f"score {r['score_c']:.1f}/{r['score_sk']:.1f} ms, "
                      f"peak RSS {r['rss_c'] / 1024:.1f}/{r['rss_sk'] / 1024:.1f} MB",
                      flush=True)

    print()
    print("| data set | rows (anomalies) | AUC C | AUC sklearn | diff | fit ms C / sklearn "
          "| score ms C / sklearn | peak RSS MB C / sklearn | RSS growth MB C / sklearn "
          "| model+scratch MB C / sklearn (traced) | flagged C / sklearn |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ok = True
    for name, _ in sets:
        rs = [r for r in results if r["name"] == name]

        def m(k):
            return float(np.mean([r[k] for r in rs]))

        diff = m("auc_c") - m("auc_sk")
        ok &= abs(diff) <= GOAL
        print(f"| {name} (mean of {len(rs)} seeds) | {rs[0]['rows']} ({m('anomalies'):.0f}) "
              f"| {m('auc_c'):.4f} | {m('auc_sk'):.4f} | {diff:+.4f} "
              f"| {m('fit_c'):.1f} / {m('fit_sk'):.1f} | {m('score_c'):.1f} / {m('score_sk'):.1f} "
              f"| {m('rss_c') / 1024:.1f} / {m('rss_sk') / 1024:.1f} "
              f"| {m('rss_delta_c') / 1024:.1f} / {m('rss_delta_sk') / 1024:.1f} "
              f"| {m('model_c') / 2**20:.2f} / {m('model_sk') / 2**20:.2f} "
              f"| {m('flag_c'):.3f} / {m('flag_sk'):.3f} |")
    print()
    for name, _ in sets:
        rs = [r for r in results if r["name"] == name]
        d = [r["auc_c"] - r["auc_sk"] for r in rs]
        se = float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
        print(f"{name}: per-seed AUC diff mean {np.mean(d):+.4f} (standard error {se:.4f}), "
              f"min {min(d):+.4f} max {max(d):+.4f}; "
              f"node pool {rs[0]['pool_c']} bytes, nodes used {rs[0]['nodes_c']}")
    print(f"goal |mean AUC diff| <= {GOAL}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
