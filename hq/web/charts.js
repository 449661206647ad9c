/* charts.js: the dashboard's charts as plain SVG (no library): stacked daily bars and
 * horizontal bars. Each drawn figure carries its number in a data-value attribute, so a test
 * can read what the page shows against what the API said. */
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/* Stacked bars, one per day: days = [{date, parts: {key: n}}], keys in stacking order,
 * colours by key. Returns an <svg>. */
function stackedBars(days, keys, colours, label) {
  const w = 640, h = 180, pad = 28, barW = Math.max(2, (w - pad) / Math.max(days.length, 1) - 2);
  const max = Math.max(1, ...days.map(d => keys.reduce((s, k) => s + (d.parts[k] || 0), 0)));
  const svg = svgEl("svg", {viewBox: `0 0 ${w} ${h + 20}`, role: "img", "aria-label": label,
                            class: "chart"});
  svg.appendChild(svgEl("text", {x: 0, y: 12, class: "axis"}, String(max)));
  svg.appendChild(svgEl("line", {x1: pad, y1: h, x2: w, y2: h, class: "axis-line"}));
  days.forEach((d, i) => {
    let y = h;
    const x = pad + i * (barW + 2);
    const g = svgEl("g", {"data-date": d.date});
    for (const k of keys) {
      const n = d.parts[k] || 0;
      if (!n) continue;
      const bh = (n / max) * (h - 16);
      y -= bh;
      const r = svgEl("rect", {x, y, width: barW, height: bh, fill: colours[k],
                               "data-key": k, "data-value": n});
      r.appendChild(svgEl("title", {}, `${d.date} ${k}: ${n}`));
      g.appendChild(r);
    }
    svg.appendChild(g);
    if (i % Math.ceil(days.length / 6) === 0)
      svg.appendChild(svgEl("text", {x, y: h + 14, class: "axis"}, d.date.slice(5)));
  });
  return svg;
}

/* Horizontal bars: rows = [{label, value, text?, href?}], longest = the largest value. */
function barList(rows, format, label) {
  const ul = document.createElement("ul");
  ul.className = "bars";
  ul.setAttribute("aria-label", label);
  const max = Math.max(0, ...rows.map(r => r.value)) || 1;
  for (const r of rows) {
    const li = document.createElement("li");
    const name = document.createElement(r.href ? "a" : "span");
    if (r.href) name.href = r.href;
    name.textContent = r.label;
    name.className = "bar-label";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.round((r.value / max) * 100)}%`;
    const val = document.createElement("span");
    val.className = "bar-value";
    val.dataset.value = r.value;
    val.textContent = r.text !== undefined ? r.text : format(r.value);
    li.append(name, bar, val);
    ul.appendChild(li);
  }
  return ul;
}

window.charts = {stackedBars, barList};
