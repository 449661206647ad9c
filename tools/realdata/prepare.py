#!/usr/bin/python3
"""prepare.py: a demand file for storesim --demand from the real UCI Online Retail II item-day
sales (../shared/realdata/online_retail/, never copied into the repository).

Takes a window of days, picks SKUs that sold in it with a seeded random choice, gives each a
category from its description's keywords and a price, and writes a demand file outside the
repository (default $TMPDIR): the format and the rules are in docs/simulator.md ("Real-demand
replay"). Standard library and numpy only; run with /usr/bin/python3.
"""
import argparse
import csv
import datetime as dt
import gzip
import os
import sys
import tempfile

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                    "realdata", "online_retail")

# Description keywords -> category, first match wins (there is no category column: an honest
# but rough grouping of a gift-ware catalogue). Words are matched as whole words.
CATEGORIES = [
    ("christmas", ["CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "BAUBLE",
                   "NATIVITY", "ANGEL"]),
    ("bags", ["BAG", "BAGS", "TOTE", "SHOPPER", "SHOPPING"]),
    ("candles_lights", ["CANDLE", "CANDLES", "T-LIGHT", "T-LIGHTS", "TEALIGHT", "LIGHT",
                        "LIGHTS", "LANTERN", "LAMP", "HOLDER"]),
    ("cards_paper", ["CARD", "CARDS", "WRAP", "PAPER", "TISSUE", "TISSUES", "RIBBON",
                     "RIBBONS", "ENVELOPE", "NOTEBOOK", "STICKER", "STICKERS", "PEN", "PENCIL",
                     "PENCILS", "BOOK", "CALENDAR", "TAPE"]),
    ("kitchen", ["MUG", "MUGS", "CUP", "CUPS", "PLATE", "PLATES", "BOWL", "BOWLS", "TEA",
                 "CAKE", "CAKES", "BAKING", "BOX", "JAR", "BOTTLE", "SPOON", "SPOONS", "NAPKIN",
                 "NAPKINS", "TRAY", "TIN", "TINS", "CUTLERY", "KITCHEN", "APRON", "MOULD",
                 "CASES", "JUG", "GLASS", "TEAPOT", "COASTER", "COASTERS", "CHOPSTICKS"]),
    ("toys_party", ["TOY", "TOYS", "GAME", "GAMES", "DOLL", "CHILDREN", "CHILDRENS", "KIDS",
                    "SPACEBOY", "PARTY", "BALLOON", "BALLOONS", "BUNTING", "PLAYHOUSE", "JIGSAW",
                    "SKIPPING", "PUPPET", "DOLLY", "TEDDY"]),
    ("garden", ["GARDEN", "PLANT", "PLANTER", "FLOWER", "FLOWERS", "BIRD", "WATERING", "POT",
                "POTS", "SEED", "HERB"]),
    ("accessories", ["NECKLACE", "BRACELET", "EARRINGS", "RING", "HAIR", "PURSE", "UMBRELLA",
                     "BROOCH", "CHARM", "KEYRING", "MIRROR", "WALLET", "SCARF", "CLIP"]),
    ("home_decor", ["SIGN", "FRAME", "CLOCK", "HOOK", "HOOKS", "CUSHION", "DOORMAT", "VASE",
                    "HEART", "HEARTS", "ORNAMENT", "DECORATION", "WICKER", "DOORSTOP",
                    "GARLAND", "WREATH", "DRAWER", "CABINET", "HANGING", "CHALKBOARD",
                    "PLAQUE", "BASKET", "STORAGE", "BLOCK", "LETTERS", "THROW", "QUILT"]),
]


def category_of(description):
    words = set(description.upper().replace(",", " ").replace("/", " ").split())
    for name, keys in CATEGORIES:
        if words.intersection(keys):
            return name
    return "other"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--start", help="first day YYYY-MM-DD (default: --days days ending 2011-12-09)")
    p.add_argument("--days", type=int, default=84, help="days in the window (default 84)")
    p.add_argument("--skus", type=int, default=2000, help="SKUs to pick (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="seed of the SKU choice (default 1)")
    p.add_argument("--data", default=DATA, help="the online_retail directory")
    p.add_argument("--out", help="output file (default $TMPDIR/shelfwatch-demand-START-DAYS-"
                   "SKUS-sSEED.csv)")
    a = p.parse_args(argv)
    if a.days < 1 or a.days > 3660 or a.skus < 1:
        p.error("--days is 1..3660 and --skus at least 1")
    last = dt.date(2011, 12, 9)
    a.start = dt.date.fromisoformat(a.start) if a.start else last - dt.timedelta(days=a.days - 1)
    return a


def read_window(path, start, days):
    """units[code] = array of units sold per day of the window; revenue[code]; store_units[day]."""
    units, revenue, store = {}, {}, np.zeros(days, dtype=np.int64)
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            d = (dt.date.fromisoformat(row["date"]) - start).days
            if d < 0 or d >= days:
                continue
            u = int(row["units_sold"])
            store[d] += u
            if u <= 0:
                continue
            code = row["stock_code"]
            units.setdefault(code, np.zeros(days, dtype=np.int64))[d] += u
            revenue[code] = revenue.get(code, 0.0) + float(row["revenue_gbp"])
    return units, revenue, store


def read_items(path):
    with open(path, newline="") as f:
        return {r["stock_code"]: (r["description"] or "", float(r["avg_unit_price_gbp"] or 0))
                for r in csv.DictReader(f)}


def main(argv):
    a = parse_args(argv)
    units, revenue, store = read_window(os.path.join(a.data, "online_retail_item_day.csv.gz"),
                                        a.start, a.days)
    if not units:
        sys.exit(f"prepare.py: no sales in the window from {a.start} ({a.days} days)")
    items = read_items(os.path.join(a.data, "online_retail_items.csv"))
    sold = sorted(units)  # every SKU with a sale in the window, in code order
    rng = np.random.RandomState(a.seed)
    n = min(a.skus, len(sold))
    picked = sorted(rng.choice(len(sold), size=n, replace=False))
    closed = [a.start + dt.timedelta(days=d) for d in range(a.days) if store[d] == 0]
    out = a.out or os.path.join(os.environ.get("TMPDIR", tempfile.gettempdir()),
                                f"shelfwatch-demand-{a.start}-{a.days}-{n}-s{a.seed}.csv")
    cats = {}
    with open(out, "w") as f:
        f.write("shelfwatch-demand 1\n")
        f.write(f"start {a.start}\ndays {a.days}\n")
        f.write("closed" + "".join(" " + str(c) for c in closed) + "\n")
        f.write("sku,category,price,day_index,units\n")
        for i in picked:
            code = sold[i]
            desc, mean_price = items.get(code, ("", 0.0))
            u = units[code]
            price = revenue[code] / u.sum() if u.sum() > 0 and revenue[code] > 0 else mean_price
            cat = category_of(desc)
            cats[cat] = cats.get(cat, 0) + 1
            for d in np.nonzero(u)[0]:
                f.write(f"{code},{cat},{max(price, 0.01):.2f},{d},{u[d]}\n")
    mean = np.array([units[sold[i]].sum() for i in picked]) / max(1, a.days - len(closed))
    print(f"{out}: {n} of {len(sold)} SKUs that sold from {a.start} for {a.days} days, "
          f"{len(closed)} closed days; mean units/open day median {np.median(mean):.2f}, "
          f">= 0.5 a day {int((mean >= 0.5).sum())}; categories " +
          ", ".join(f"{k} {v}" for k, v in sorted(cats.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main(sys.argv[1:])
