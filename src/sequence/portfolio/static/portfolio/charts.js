/* The client's interactive charts (plotly.js from the plotly wheel). No inline script: each
   chart reads its data from a json_script element (data-chart-source) or from the bot's JSON
   endpoint (data-chart-url). Hover shows the values, drag zooms, the buttons and the slider
   under the axis choose the range. */
(function () {
  "use strict";

  function num(x, digits) {
    return x === null || x === undefined ? "—" : Number(x).toLocaleString("en", {maximumFractionDigits: digits});
  }

  function rangeButtons() {
    return {buttons: [
      {count: 1, label: "1d", step: "day", stepmode: "backward"},
      {count: 7, label: "1w", step: "day", stepmode: "backward"},
      {count: 1, label: "1m", step: "month", stepmode: "backward"},
      {step: "all", label: "All"}
    ]};
  }

  function equityChart(el, data) {
    var pts = data.points || [];
    if (!pts.length) {
      el.textContent = "No equity recorded yet: the first point is taken within the hour.";
      el.classList.add("muted");
      return;
    }
    var x = pts.map(function (p) { return p.t; });
    var coin = data.unit !== "USDT" && data.unit !== "USD" && data.unit !== "USDC";
    var traces = [{
      x: x, y: pts.map(function (p) { return p.equity; }), type: "scatter", mode: "lines+markers",
      name: "Equity (" + data.unit + ")", line: {color: "#4c78a8"}, marker: {size: 4},
      hovertemplate: "%{x|%Y-%m-%d %H:%M} UTC<br>%{y:,.8g} " + data.unit + "<extra>equity</extra>"
    }];
    var layout = {
      margin: {l: 70, r: coin ? 70 : 20, t: 10, b: 40}, hovermode: "closest", showlegend: true,
      legend: {orientation: "h", y: 1.12},
      xaxis: {type: "date", rangeselector: rangeButtons(), rangeslider: {visible: true, thickness: 0.08}},
      yaxis: {title: {text: "equity (" + data.unit + ")"}, tickformat: ",.6~g"}
    };
    if (coin) {
      traces.push({
        x: x, y: pts.map(function (p) { return p.usd; }), type: "scatter", mode: "lines",
        name: "USD", yaxis: "y2", line: {color: "#72b7b2", dash: "dot"},
        hovertemplate: "%{x|%Y-%m-%d %H:%M} UTC<br>%{y:,.2f} USD<extra>in USD</extra>"
      });
      layout.yaxis2 = {title: {text: "USD"}, overlaying: "y", side: "right", tickformat: ",.0f"};
    }
    window.Plotly.newPlot(el, traces, layout, {displaylogo: false, responsive: true});
  }

  function cyclesChart(el, data) {
    var cycles = data.cycles || [];
    if (!cycles.length) {
      el.textContent = "No closed cycle yet.";
      el.classList.add("muted");
      return;
    }
    var traces = ["long", "short"].map(function (side) {
      var mine = cycles.filter(function (c) { return c.side === side; });
      return {
        x: mine.map(function (c) { return c.t; }), y: mine.map(function (c) { return c.pnl; }),
        type: "bar", name: side, marker: {color: side === "long" ? "#1a9850" : "#d73027"},
        customdata: mine.map(function (c) { return [c.number, c.ending, c.dca_depth]; }),
        hovertemplate: "%{x|%Y-%m-%d %H:%M} UTC<br>" + side + " cycle %{customdata[0]} (%{customdata[1]}, " +
          "DCA depth %{customdata[2]})<br>PnL %{y:,.8g} " + data.unit + "<extra></extra>"
      };
    });
    window.Plotly.newPlot(el, traces, {
      margin: {l: 70, r: 20, t: 10, b: 40}, barmode: "group", legend: {orientation: "h", y: 1.12},
      xaxis: {type: "date", rangeselector: rangeButtons(), rangeslider: {visible: true, thickness: 0.08}},
      yaxis: {title: {text: "PnL per cycle (" + data.unit + ")"}}
    }, {displaylogo: false, responsive: true});
  }

  function summary(id, data) {
    var el = document.querySelector('[data-summary-for="' + id + '"]');
    if (!el) { return; }
    var s = data.summary;
    el.textContent = "Equity " + num(s.equity, 8) + " " + data.unit + " · realised PnL " +
      num(s.realised, 8) + " " + data.unit + " over " + s.cycles + " closed cycle" + (s.cycles === 1 ? "" : "s");
  }

  function render(el, data) {
    if (el.classList.contains("cycles-chart")) { cyclesChart(el, data); } else { equityChart(el, data); }
    el.dataset.rendered = "1";
    if (el.dataset.summary) { summary(el.dataset.summary, data); }
  }

  function start() {
    document.querySelectorAll(".chart[data-chart-source]").forEach(function (el) {
      var src = document.getElementById(el.dataset.chartSource);
      if (src) { render(el, JSON.parse(src.textContent)); }
    });
    var byUrl = {};  // the card's charts share one request
    document.querySelectorAll(".chart[data-chart-url]").forEach(function (el) {
      if (el.dataset.rendered) { return; }
      el.dataset.rendered = "loading";
      (byUrl[el.dataset.chartUrl] = byUrl[el.dataset.chartUrl] || []).push(el);
    });
    Object.keys(byUrl).forEach(function (url) {
      fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { byUrl[url].forEach(function (el) { render(el, data); }); })
        .catch(function () {
          byUrl[url].forEach(function (el) { el.textContent = "The chart could not be loaded."; });
        });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
