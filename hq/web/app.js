/* app.js: the HQ dashboard. Reads shelfwatch-hq's JSON API (/api/v1, openapi.json beside the
 * server) with the tenant's bearer token and draws four views: the fleet, one store, the
 * cycle-count list, one anomaly. Hash routes: #/, #/store/ID, #/count, #/anomaly/STORE/SKU/ID. */
"use strict";

const API = "/api/v1";
const SEVERITIES = ["critical", "warning", "info"];
const TYPES = ["ghost_stock", "ml_detected", "shelf_out", "inventory_discrepancy"];
const COLOURS = {critical: "#c0392b", warning: "#e69b00", info: "#7f8c8d",
                 ghost_stock: "#6c3483", ml_detected: "#1f77b4", shelf_out: "#17a589",
                 inventory_discrepancy: "#a04000"};
const view = document.getElementById("view");

/* ---- talking to the API ------------------------------------------------------------- */

function token() {
  return sessionStorage.getItem("shelfwatch-token") || "";
}

async function askToken(message) {
  const dlg = document.getElementById("login");
  const err = document.getElementById("login-error");
  err.hidden = !message;
  err.textContent = message || "";
  dlg.showModal();
  await new Promise(resolve => dlg.addEventListener("close", resolve, {once: true}));
  sessionStorage.setItem("shelfwatch-token", document.getElementById("token").value.trim());
}

/* GET or POST path (with query params); asks for a token on 401 and tries again. */
async function api(path, params, body) {
  const q = new URLSearchParams(Object.entries(params || {}).filter(([, v]) => v !== undefined));
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!token()) await askToken();
    const res = await fetch(`${API}${path}${q.toString() ? "?" + q : ""}`, {
      method: body ? "POST" : "GET",
      headers: {Authorization: `Bearer ${token()}`,
                ...(body ? {"Content-Type": "application/json"} : {})},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status === 401) {
      sessionStorage.removeItem("shelfwatch-token");
      await askToken("That token was not accepted.");
      continue;
    }
    const json = await res.json();
    if (!res.ok) throw new Error(json.error ? json.error.reason : `HTTP ${res.status}`);
    return json;
  }
  throw new Error("not signed in");
}

/* ---- small DOM helpers -------------------------------------------------------------- */

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const fmt = {
  int: n => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en")),
  ratio: r => (r === null || r === undefined ? "–" : Number(r).toFixed(3)),
  money: m => (m === null || m === undefined ? "–" : Number(m).toFixed(2)),
  pct: r => (r === null || r === undefined ? "–" : `${Math.round(r * 100)}%`),
};

/* A figure card whose number is data-value (the API's), shown formatted. */
function card(title, value, shown, id) {
  return el("section", {class: "card", id},
            el("h3", {}, title), el("p", {class: "figure", dataset: {value}}, shown));
}

function table(columns, rows, label) {
  const head = el("tr", {}, ...columns.map(c => el("th", {scope: "col"}, c.title)));
  const body = rows.map(r => el("tr", {}, ...columns.map(c => {
    const v = c.get(r);
    const td = el("td", {class: c.cls || "", dataset: {key: c.key, value: c.raw ? c.raw(r) : v}});
    td.append(v instanceof Node ? v : document.createTextNode(v === undefined ? "" : String(v)));
    return td;
  })));
  return el("table", {"aria-label": label}, el("thead", {}, head), el("tbody", {}, ...body));
}

function section(title, ...children) {
  return el("section", {class: "panel"}, el("h2", {}, title), ...children);
}

function days() {
  return Number(document.getElementById("days").value);
}

function anomalyLink(a) {
  return el("a", {href: `#/anomaly/${encodeURIComponent(a.store)}/${encodeURIComponent(a.sku)}/` +
                        encodeURIComponent(a.id)}, a.sku);
}

/* ---- the fleet ---------------------------------------------------------------------- */

function dailyParts(stats, keys, field) {
  return stats.daily.map(d => ({date: d.date,
                                parts: Object.fromEntries(keys.map(k => [k, d[field][k] || 0]))}));
}

function legend(keys) {
  return el("p", {class: "legend"}, ...keys.map(k => el("span", {style: `--c:${COLOURS[k]}`}, k)));
}

function attention(gateways) {
  const bad = gateways.filter(g => g.needs_attention);
  if (!bad.length) return el("p", {class: "muted", id: "attention-none"}, "Every gateway is fine.");
  return table([
    {title: "Store", key: "store", get: g => el("a", {href: `#/store/${encodeURIComponent(g.store)}`}, g.store),
     raw: g => g.store},
    {title: "State", key: "state", get: g => g.state},
    {title: "Why", key: "reasons", get: g => (g.reasons || []).join(", ")},
    {title: "Last seen", key: "last_seen", get: g => g.last_seen || "never"},
  ], bad, "Gateways needing attention");
}

function precisionBars(by, hrefOf) {
  const rows = Object.entries(by).filter(([, p]) => p.precision !== null)
    .map(([k, p]) => ({label: k, value: p.precision, href: hrefOf && hrefOf(k),
                       text: `${fmt.ratio(p.precision)} (${p.true_positive}/${p.true_positive + p.false_positive})`}))
    .sort((a, b) => b.value - a.value);
  return rows.length ? charts.barList(rows, fmt.ratio, "precision") : el("p", {class: "muted"}, "No outcomes yet.");
}

async function fleetView() {
  const d = days();
  const [stats, eff, roi, gw, alerts] = await Promise.all([
    api("/anomalies/stats", {days: d}), api("/outcomes/anomalies/effectiveness", {days: d}),
    api("/outcomes/roi", {days: d}), api("/gateways"), api("/outcomes/alerts/effectiveness", {days: d})]);
  const atStake = gw.gateways.reduce((s, g) => s + (g.ghost_value || 0), 0);
  const storeHref = s => `#/store/${encodeURIComponent(s)}`;
  view.replaceChildren(
    el("div", {class: "cards"},
       card("Open alerts", stats.open, fmt.int(stats.open), "open-alerts"),
       card("Ghost stock at stake", atStake, fmt.money(atStake), "ghost-value"),
       card("Precision", eff.overall.precision, fmt.ratio(eff.overall.precision), "precision"),
       card("False-positive rate", alerts.false_positive_rate, fmt.ratio(alerts.false_positive_rate), "fp-rate"),
       card("ROI", roi.total.total, fmt.money(roi.total.total), "roi-total"),
       card("Gateways needing attention", gw.gateways.filter(g => g.needs_attention).length,
            fmt.int(gw.gateways.filter(g => g.needs_attention).length), "attention-count")),
    el("div", {class: "cards"},
       ...SEVERITIES.map(k => card(`Open ${k}`, stats.open_now.by_severity[k], fmt.int(stats.open_now.by_severity[k]), `open-${k}`)),
       ...TYPES.map(k => card(`Open ${k.replace("_", " ")}`, stats.open_now.by_type[k], fmt.int(stats.open_now.by_type[k]), `open-${k}`))),
    section(`New alerts a day by severity (trend: ${stats.trend})`,
            charts.stackedBars(dailyParts(stats, SEVERITIES, "by_severity"), SEVERITIES, COLOURS, "by severity"),
            legend(SEVERITIES)),
    section("New alerts a day by type",
            charts.stackedBars(dailyParts(stats, TYPES, "by_type"), TYPES, COLOURS, "by type"), legend(TYPES)),
    el("div", {class: "columns"},
       section("Stores by ghost stock at stake",
               charts.barList(gw.gateways.filter(g => g.ghost_value > 0)
                              .sort((a, b) => b.ghost_value - a.ghost_value).slice(0, 10)
                              .map(g => ({label: g.store, value: g.ghost_value, href: storeHref(g.store)})),
                              fmt.money, "ghost value by store")),
       section("Gateways needing attention", attention(gw.gateways))),
    el("div", {class: "columns"},
       section("Precision by store", precisionBars(eff.by_store, storeHref)),
       section("Precision by category", precisionBars(eff.by_category))),
    section("ROI by store", charts.barList(
        Object.entries(roi.by_store).map(([s, r]) => ({label: s, value: r.total, href: storeHref(s)}))
          .sort((a, b) => b.value - a.value), fmt.money, "ROI by store")));
}

/* ---- one store ---------------------------------------------------------------------- */

async function storeView(store) {
  const d = days();
  const [page, eff, roi, gw] = await Promise.all([
    api("/anomalies", {store, status: "open", days: 3650, limit: 500}),
    api("/outcomes/anomalies/effectiveness", {days: d, store}), api("/outcomes/roi", {days: d, store}),
    api("/gateways", {store})]);
  const g = gw.gateways[0] || {store, state: "unknown"};
  view.replaceChildren(
    el("h2", {class: "title"}, `Store ${store}`),
    el("div", {class: "cards"},
       card("Gateway", g.state, g.state, "gateway-state"),
       card("POS feed", g.pos_feed || "unknown", g.pos_feed || "unknown", "pos-feed"),
       card("Open alerts", page.total, fmt.int(page.total), "store-open"),
       card("Precision", eff.overall.precision, fmt.ratio(eff.overall.precision), "store-precision"),
       card("ROI", roi.total.total, fmt.money(roi.total.total), "store-roi")),
    section("Open alerts", table([
      {title: "SKU", key: "sku", get: anomalyLink, raw: a => a.sku},
      {title: "Type", key: "type", get: a => a.type},
      {title: "Severity", key: "severity", get: a => a.severity},
      {title: "P", key: "probability", get: a => fmt.ratio(a.probability), raw: a => a.probability, cls: "num"},
      {title: "Value", key: "value", get: a => fmt.money(a.value), raw: a => a.value, cls: "num"},
      {title: "Since", key: "as_of", get: a => a.as_of},
      {title: "Why", key: "description", get: a => a.description}], page.anomalies, "open alerts")));
}

/* ---- the cycle-count list ----------------------------------------------------------- */

async function countView() {
  const list = await api("/anomalies/ghost-stock", {limit: 100});
  view.replaceChildren(section("What to count first: probability × money at stake", table([
    {title: "#", key: "rank", get: r => r.rank, cls: "num"},
    {title: "Store", key: "store", get: r => el("a", {href: `#/store/${encodeURIComponent(r.store)}`}, r.store),
     raw: r => r.store},
    {title: "SKU", key: "sku", get: anomalyLink, raw: r => r.sku},
    {title: "Category", key: "category", get: r => r.category || ""},
    {title: "P", key: "probability", get: r => fmt.ratio(r.probability), raw: r => r.probability, cls: "num"},
    {title: "Value", key: "value", get: r => fmt.money(r.value), raw: r => r.value, cls: "num"},
    {title: "Priority", key: "priority", get: r => fmt.money(r.priority), raw: r => r.priority, cls: "num"},
    {title: "Why", key: "description", get: r => r.description || ""}], list.recommendations, "cycle counts")));
}

/* ---- one anomaly -------------------------------------------------------------------- */

function contributions(meta) {
  const c = meta && meta.contributions;
  if (!c) return el("p", {class: "muted"}, "No feature contributions (not an ML alert).");
  const rows = Object.entries(c).map(([k, v]) => ({label: k, value: Number(v)}))
    .sort((a, b) => b.value - a.value);
  return charts.barList(rows, fmt.pct, "feature contributions");
}

async function verdict(a, outcome) {
  const out = await api(`/outcomes/anomaly/${encodeURIComponent(a.id)}`, {}, {outcome});
  document.getElementById("verdict").textContent =
    `Recorded as ${out.outcome}${out.forwarded ? ", the gateway has it" : ", the gateway did not answer yet"}.`;
}

async function anomalyView(store, sku, id) {
  const page = await api("/anomalies", {store, sku, days: 3650, limit: 1000});
  const a = page.anomalies.find(x => x.id === id);
  if (!a) {
    view.replaceChildren(el("p", {class: "error"}, `No anomaly ${id} at ${store}.`));
    return;
  }
  const meta = Object.entries(a.metadata || {}).filter(([, v]) => typeof v !== "object");
  view.replaceChildren(
    el("h2", {class: "title"}, `${a.type} · ${a.sku} · store ${a.store}`),
    el("p", {class: `sev ${a.severity}`, id: "explanation"}, a.description),
    el("div", {class: "cards"},
       card("Probability", a.probability, fmt.ratio(a.probability), "a-probability"),
       card("At stake", a.value, fmt.money(a.value), "a-value"),
       card("Status", a.status, a.status, "a-status"),
       card("Do", a.action, a.action, "a-action")),
    el("div", {class: "columns"},
       section("Why: feature contributions", contributions(a.metadata)),
       section("Details", table([{title: "Field", key: "k", get: r => r[0]},
                                 {title: "Value", key: "v", get: r => String(r[1])}],
                                [["id", a.id], ["as_of", a.as_of], ["detected_at", a.detected_at || ""],
                                 ...meta], "details"))),
    section("Verdict",
            el("p", {}, el("button", {id: "tp"}, "It was real"), " ",
               el("button", {id: "fp"}, "Nothing wrong")),
            el("p", {id: "verdict", class: "muted"})));
  document.getElementById("tp").onclick = () => verdict(a, "true_positive").catch(showError);
  document.getElementById("fp").onclick = () => verdict(a, "false_positive").catch(showError);
}

/* ---- routing ------------------------------------------------------------------------ */

function showError(e) {
  view.replaceChildren(el("p", {class: "error", id: "error"}, `Could not load: ${e.message}`));
}

async function route() {
  const parts = location.hash.split("?")[0].replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  for (const a of document.querySelectorAll("[data-nav]"))
    a.classList.toggle("active", a.dataset.nav === (parts[0] || "fleet"));
  document.body.dataset.loaded = "";
  try {
    if (parts[0] === "store" && parts[1]) await storeView(parts[1]);
    else if (parts[0] === "count") await countView();
    else if (parts[0] === "anomaly" && parts.length >= 4) await anomalyView(parts[1], parts[2], parts[3]);
    else await fleetView();
  } catch (e) {
    showError(e);
  }
  document.body.dataset.loaded = location.hash || "#/"; /* for tests: the view is drawn */
}

window.addEventListener("hashchange", route);
document.getElementById("days").addEventListener("change", route);
/* A link may carry the token after the fragment's '?' (#/?token=...): the browser never sends
 * the fragment to a server, so it stays out of logs; it is kept for this tab only and removed
 * from the address bar at once. */
function takeTokenFromLink() {
  const [path, query] = location.hash.split("?");
  const preset = new URLSearchParams(query || "").get("token");
  if (!preset) return;
  sessionStorage.setItem("shelfwatch-token", preset);
  history.replaceState(null, "", location.pathname + (path || "#/"));
}
takeTokenFromLink();
route();
