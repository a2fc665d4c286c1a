// eams pages' own script: draws the graphs a page declares (uPlot for time series, Cytoscape.js
// for dependency and impact graphs) from JSON embedded in the page or fetched from a page URL.
// htmx swaps fragments in; this script draws whatever a swap brought.
(function () {
  "use strict";

  var PALETTE = ["#0b5394", "#b3261e", "#1e7b34", "#a65e00", "#6a3fa0", "#00838f"];

  function drawOne(el, data, empty) {
    el.innerHTML = "";
    if (!data || !data.x || data.x.length === 0) { el.textContent = empty; return; }
    var series = [{}].concat(data.series.map(function (s, i) {
      return { label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5 };
    }));
    var opts = {
      width: el.clientWidth || 600, height: 220, series: series,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Asia/Ho_Chi_Minh"); },
      axes: [{}, { size: 70, values: function (u, vals) { return vals.map(function (v) { return v == null ? "" : v.toLocaleString("vi-VN"); }); } }],
    };
    new uPlot(opts, [data.x].concat(data.series.map(function (s) { return s.values; })), el);
    el.dataset.points = String(data.x.length);
  }

  // One request per page view for all of a panel's graphs.
  function drawSeries(panel) {
    if (panel.dataset.drawn === "1" || typeof uPlot === "undefined") return;
    panel.dataset.drawn = "1";
    fetch(panel.dataset.seriesSrc, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        panel.querySelectorAll("[data-series-key]").forEach(function (el) {
          drawOne(el, answer.graphs[el.dataset.seriesKey], panel.dataset.empty || "");
        });
      })
      .catch(function () { panel.querySelectorAll("[data-series-key]").forEach(function (el) { el.textContent = panel.dataset.error || ""; }); });
  }

  function drawGraph(el) {
    if (el.dataset.drawn === "1" || typeof cytoscape === "undefined") return;
    var source = document.getElementById(el.dataset.graph);
    if (!source) return;
    var graph = JSON.parse(source.textContent);
    el.dataset.drawn = "1";
    cytoscape({
      container: el,
      elements: graph.nodes.map(function (n) { return { data: n }; }).concat(graph.edges.map(function (e) { return { data: e }; })),
      layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1 },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 120, "background-color": "#0b5394", width: 18, height: 18 } },
        { selector: "node[kind = 'failed']", style: { "background-color": "#b3261e", width: 26, height: 26 } },
        { selector: "node[kind = 'lost']", style: { "background-color": "#e06666" } },
        { selector: "node[kind = 'degraded']", style: { "background-color": "#f1c232" } },
        { selector: "edge", style: { width: 1.2, "line-color": "#9aa7b5", "target-arrow-color": "#9aa7b5", "target-arrow-shape": "triangle", "curve-style": "bezier" } },
      ],
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-series-src]").forEach(drawSeries);
    (root || document).querySelectorAll("[data-graph]").forEach(drawGraph);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { drawAll(evt.target); });
})();
