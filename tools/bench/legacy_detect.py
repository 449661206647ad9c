#!/usr/bin/python3
"""The previous system's detection, for tools/bench/detect.sh: numpy + scikit-learn.

Reads the CSV bench_state_gen writes (sku,category,on_hand,price,forecast,s0..s{D-1}), then
  - the seed ghost-stock rule in numpy: a SKU is flagged when its last seed_min_low_days or
    more consecutive days (looking back seed_lookback_days) each sold below low_ratio x
    forecast, and it has stock on the book (core/ghost.c, seed mode);
  - scikit-learn's IsolationForest (100 trees, 256 samples, contamination 0.05) fitted on the
    SKUs' 8 features (the daemon's feature set) and scoring every SKU.
Prints one line of key=value figures: load and detect seconds, peak RSS (ru_maxrss), counts.
"""
import csv
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest

LOW_RATIO, LOOKBACK, MIN_LOW_DAYS = 0.3, 7, 3


def load(path):
    skus, cats, on_hand, price, forecast, sales = [], [], [], [], [], []
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            skus.append(row[0])
            cats.append(row[1])
            on_hand.append(float(row[2]))
            price.append(float(row[3]))
            forecast.append(float(row[4]))
            sales.append([int(x) for x in row[5:]])
    return (skus, np.array(cats), np.array(on_hand), np.array(price), np.array(forecast),
            np.array(sales, dtype=np.float64))


def ghost_seed(on_hand, forecast, sales):
    recent = sales[:, -LOOKBACK:]
    with np.errstate(divide="ignore", invalid="ignore"):
        low = (forecast[:, None] > 0) & (recent / forecast[:, None] < LOW_RATIO)
    # Trailing run of low days: index of the last non-low day from the end.
    rev = low[:, ::-1]
    run = np.where(rev.all(axis=1), LOOKBACK, np.argmin(rev, axis=1))
    return (run >= MIN_LOW_DAYS) & (on_hand > 0)


def features(cats, on_hand, price, sales, weekday):
    s7 = sales[:, -7:].sum(axis=1)
    p7 = sales[:, -14:-7].sum(axis=1)
    _, inv = np.unique(cats, return_inverse=True)
    cat_avg = np.bincount(inv, weights=price) / np.bincount(inv)
    return np.column_stack([
        s7, (s7 - p7) / np.maximum(p7, 1.0), on_hand, price,
        np.full(len(price), weekday, dtype=np.float64), np.zeros(len(price)),
        s7 / np.maximum(on_hand, 1.0), price / cat_avg[inv]]).astype(np.float32)


def main():
    t0 = time.perf_counter()
    skus, cats, on_hand, price, forecast, sales = load(sys.argv[1])
    t1 = time.perf_counter()
    ghost = ghost_seed(on_hand, forecast, sales)
    x = features(cats, on_hand, price, sales, time.gmtime().tm_wday)
    forest = IsolationForest(n_estimators=100, max_samples=256, contamination=0.05, random_state=0)
    forest.fit(x)
    scores = -forest.score_samples(x)
    flagged_ml = int((scores >= -forest.offset_).sum())
    t2 = time.perf_counter()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"legacy: skus={len(skus)} days={sales.shape[1]} load_s={t1 - t0:.3f} detect_s={t2 - t1:.3f} "
          f"total_s={t2 - t0:.3f} peak_rss_kib={rss_kib} ghost={int(ghost.sum())} ml={flagged_ml}")


if __name__ == "__main__":
    main()
