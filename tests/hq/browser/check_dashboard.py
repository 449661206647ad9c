#!/usr/bin/python3
"""check_dashboard.py: load the HQ dashboard in headless chromium and check that every number it
shows equals the API's and the database's (run by tools/demo-hq.sh --check, ctest -L browser).

Each figure the page draws carries the number it was given in a data-value attribute and its
text formatted from it; this reads the DOM chromium renders (--dump-dom) for four views (the
fleet, the cycle-count list, a store, an anomaly) and compares the attribute, the text, the API
(GET with the token) and the database (psql as the superuser, the tenant named in the SQL).
The stores may still publish while it looks (a summary after the evening's counts): a view whose
data changed during its check is checked again, and a mismatch counts only when the data held
still. Exit status 0 when everything matched; the first mismatch is printed otherwise."""
import argparse
import html.parser
import json
import math
import subprocess
import sys
import time
import urllib.parse
import urllib.request


class Figures(html.parser.HTMLParser):
    """Elements with an id whose child or self has data-value; table cells by data-key."""

    def __init__(self):
        super().__init__()
        self.by_id = {}      # card id -> (data-value, text)
        self.cells = []      # table rows: [{key: (data-value, text)}]
        self.loaded = None   # body's data-loaded once the view was drawn
        self.errors = []     # texts of .error elements that are shown
        self._card = None
        self._value = None
        self._text = None
        self._cell = None
        self._row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.loaded = a.get("data-loaded")
        if tag == "section" and "card" in (a.get("class") or "").split():
            self._card = a.get("id")
        if tag == "p" and self._card and "data-value" in a:
            self._value, self._text = a["data-value"], ""
        if tag == "tr":
            self._row = {}
        if tag == "td" and self._row is not None and "data-key" in a:
            self._cell = (a["data-key"], a.get("data-value"))
            self._text = ""
        if "error" in (a.get("class") or "").split() and "hidden" not in a:
            self.errors.append(a.get("id") or tag)

    def handle_data(self, data):
        if self._text is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "p" and self._value is not None:
            self.by_id[self._card] = (self._value, self._text.strip())
            self._value = self._text = None
        if tag == "section":
            self._card = None
        if tag == "td" and self._cell:
            self._row[self._cell[0]] = (self._cell[1], self._text.strip())
            self._cell = self._text = None
        if tag == "tr" and self._row is not None:
            if self._row:
                self.cells.append(self._row)
            self._row = None


class Mismatch(Exception):
    """A figure that differs between the page, the API and the database."""


def fail(msg):
    raise Mismatch(msg)


def data_version(db, t):
    """What every view is computed from, as one string: equal before and after a view's check
    means the page, the API and the database saw the same data."""
    return sql(db, f"SELECT (SELECT count(*) || ':' || coalesce(sum(rev), 0) FROM anomaly "
                   f"WHERE tenant = '{t}'), (SELECT count(*) FROM outcome WHERE tenant = '{t}'), "
                   f"(SELECT coalesce(max(received_at)::text, '') FROM store_summary "
                   f"WHERE tenant = '{t}'), (SELECT coalesce(max(received_at)::text, '') "
                   f"FROM store_status WHERE tenant = '{t}')")


def steadily(a, t, what, check, attempts=10):
    """check() (figures compared) again while the data changes under it; its mismatch stands
    when the data held still."""
    for _ in range(attempts):
        before = data_version(a.db, t)
        try:
            return check()
        except Mismatch:
            if data_version(a.db, t) == before:
                raise
        print(f"check_dashboard: {what}: the data changed during the check; again", flush=True)
        time.sleep(2)
    fail(f"{what}: the data changed during each of {attempts} checks")


def render(base, token, view):
    url = f"{base}/{view}?token={urllib.parse.quote(token)}"
    out = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                          "--virtual-time-budget=20000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    page = Figures()
    page.feed(out.stdout)
    if page.loaded is None or page.loaded == "":
        fail(f"{view}: the view was not drawn (data-loaded missing)")
    if page.errors:
        fail(f"{view}: the page shows an error: {out.stdout[out.stdout.find('error'):][:300]}")
    return page


def api(base, token, path):
    req = urllib.request.Request(base + "/api/v1" + path,
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def sql(db, query):
    out = subprocess.run(["psql", "-qXAt", db, "-c", query], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def same(a, b, what, tol=1e-6):
    if a is None or b is None:
        if a is not None or b is not None:
            fail(f"{what}: {a!r} != {b!r}")
        return
    if isinstance(a, str) or isinstance(b, str):
        if str(a) != str(b):
            fail(f"{what}: {a!r} != {b!r}")
        return
    if not math.isclose(float(a), float(b), rel_tol=tol, abs_tol=tol):
        fail(f"{what}: {a} != {b}")


def shown(page, card):
    """The number a card shows: its data-value, checked against its text."""
    if card not in page.by_id:
        fail(f"card {card} is not on the page")
    value, text = page.by_id[card]
    if value == "null":
        if text != "–":
            fail(f"card {card}: null shown as {text!r}")
        return None
    number = float(value)
    if abs(float(text.replace(",", "")) - number) > 0.0051 + 1e-9 * abs(number):
        fail(f"card {card}: shows {text!r} for {value}")
    return number


def check_fleet(a, t):
    # The fleet view: the cards against the API and the database.
    page = render(a.url, a.token, "#/")
    stats = api(a.url, a.token, "/anomalies/stats?days=30")
    gw = api(a.url, a.token, "/gateways")
    eff = api(a.url, a.token, "/outcomes/anomalies/effectiveness?days=30")
    roi = api(a.url, a.token, "/outcomes/roi?days=30")
    open_db = int(sql(a.db, f"SELECT count(*) FROM anomaly WHERE tenant = '{t}' AND status = 'open'"))
    same(shown(page, "open-alerts"), stats["open"], "open alerts: page vs API")
    same(shown(page, "open-alerts"), open_db, "open alerts: page vs database")
    for sev in ("critical", "warning", "info"):
        db = int(sql(a.db, f"SELECT count(*) FROM anomaly WHERE tenant = '{t}' AND status = 'open' "
                           f"AND severity = '{sev}'"))
        same(shown(page, f"open-{sev}"), db, f"open {sev}: page vs database")
    for typ in ("ghost_stock", "ml_detected", "shelf_out", "inventory_discrepancy"):
        db = int(sql(a.db, f"SELECT count(*) FROM anomaly WHERE tenant = '{t}' AND status = 'open' "
                           f"AND type = '{typ}'"))
        same(shown(page, f"open-{typ}"), db, f"open {typ}: page vs database")
    ghost_db = float(sql(a.db, f"SELECT coalesce(sum(ghost_value), 0) FROM store_summary "
                               f"WHERE tenant = '{t}'"))
    same(shown(page, "ghost-value"), sum(g["ghost_value"] or 0 for g in gw["gateways"]),
         "ghost value: page vs API", 0.006)
    same(shown(page, "ghost-value"), ghost_db, "ghost value: page vs database", 0.006)
    cli = json.loads(subprocess.run([a.hq, "-c", a.config, "effectiveness", "--tenant", t,
                                     "--json"], capture_output=True, text=True, check=True).stdout)
    same(shown(page, "precision"), eff["overall"]["precision"], "precision: page vs API", 0.0006)
    same(eff["overall"]["precision"], cli["fleet"]["precision"]["overall"]["precision"],
         "precision: API vs database (shelfwatch-hq effectiveness)")
    cli_roi = json.loads(subprocess.run([a.hq, "-c", a.config, "roi", "--tenant", t, "--json"],
                                        capture_output=True, text=True, check=True).stdout)
    same(shown(page, "roi-total"), roi["total"]["total"], "ROI: page vs API", 0.006)
    same(roi["total"]["total"], cli_roi["fleet"]["total"], "ROI: API vs database (shelfwatch-hq roi)")
    same(shown(page, "attention-count"), sum(1 for g in gw["gateways"] if g["needs_attention"]),
         "gateways needing attention: page vs API")
    same(len(gw["gateways"]), int(sql(a.db, f"SELECT count(*) FROM store WHERE tenant = '{t}'")),
         "gateways: API vs database")
    return 13


def check_cycle_counts(a, t):
    # The cycle-count list: every row, in the database's order.
    page = render(a.url, a.token, "#/count")
    rows = sql(a.db, f"SELECT store, sku, round((coalesce(probability, 0) * coalesce(value, 0))"
                     f"::numeric, 2) FROM anomaly WHERE tenant = '{t}' AND status = 'open' AND "
                     f"type = 'ghost_stock' ORDER BY coalesce(probability, 0) * "
                     f"coalesce(value, 0)::float8 DESC, store, id LIMIT 100").splitlines()
    if len(page.cells) != len(rows):
        fail(f"cycle counts: the page lists {len(page.cells)}, the database {len(rows)}")
    for i, (cell, row) in enumerate(zip(page.cells, rows)):
        store, sku, prio = row.split("|")
        same(cell["rank"][1], str(i + 1), f"cycle count {i + 1}: rank")
        same(cell["store"][0], store, f"cycle count {i + 1}: store")
        same(cell["sku"][0], sku, f"cycle count {i + 1}: sku")
        same(float(cell["priority"][0]), float(prio), f"cycle count {i + 1}: priority", 0.006)
        same(float(cell["priority"][1].replace(",", "")), float(prio),
             f"cycle count {i + 1}: priority shown", 0.006)
    return len(rows)


def check_store(a, t):
    # A store: its open alerts, precision and ROI.
    store = sql(a.db, f"SELECT store FROM store WHERE tenant = '{t}' ORDER BY store LIMIT 1")
    page = render(a.url, a.token, f"#/store/{store}")
    same(shown(page, "store-open"), int(sql(a.db, f"SELECT count(*) FROM anomaly WHERE tenant = "
                                                  f"'{t}' AND store = '{store}' AND status = "
                                                  f"'open'")), "store open: page vs database")
    seff = api(a.url, a.token, f"/outcomes/anomalies/effectiveness?days=30&store={store}")
    same(shown(page, "store-precision"), seff["overall"]["precision"], "store precision", 0.0006)
    sroi = api(a.url, a.token, f"/outcomes/roi?days=30&store={store}")
    same(shown(page, "store-roi"), sroi["total"]["total"], "store ROI", 0.006)
    return 3


def check_anomaly(a, t):
    # An anomaly: the top of the cycle-count list, with its explanation.
    top = sql(a.db, f"SELECT store, sku, id, probability, value, payload->>'description' FROM "
                    f"anomaly WHERE tenant = '{t}' ORDER BY (type = 'ml_detected') DESC, "
                    f"probability * value DESC NULLS LAST, id LIMIT 1").split("|")
    page = render(a.url, a.token, f"#/anomaly/{top[0]}/{urllib.parse.quote(top[1])}/{top[2]}")
    same(shown(page, "a-probability"), float(top[3]), "anomaly probability", 0.0006)
    same(shown(page, "a-value"), float(top[4]), "anomaly value", 0.006)
    return 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--hq", required=True)
    ap.add_argument("--config", required=True)
    a = ap.parse_args()
    t = a.tenant.replace("'", "")
    checked = 0
    try:
        for what, check in (("the fleet", check_fleet), ("the cycle-count list", check_cycle_counts),
                            ("a store", check_store), ("an anomaly", check_anomaly)):
            checked += steadily(a, t, what, lambda: check(a, t))
    except Mismatch as e:
        print(f"check_dashboard: FAIL: {e}")
        sys.exit(1)
    print(f"check_dashboard: {checked} figures on 4 views equal the API's and the database's")
    print(f"1 passed, 0 failed")


if __name__ == "__main__":
    main()
