// The visualizer's form shows that it is working while the next view is computed.
(function () {
  var form = document.getElementById("viz-form");
  var busy = document.getElementById("viz-busy");
  if (form && busy) form.addEventListener("submit", function () {
    busy.classList.add("htmx-request");
    form.setAttribute("aria-busy", "true");
  });
})();
// Charts of the visualizer and the dashboards: each element [data-chart] names the JSON
// script (data-chart="ID") holding {chart, axis, categories, series, targets, scatter, percent}.
(function () {
  if (!window.echarts) return;
  var charts = [];
  function fmt(percent) {
    return function (v) { return v == null ? "" : (percent ? v.toFixed(1) + "%" : String(v)); };
  }
  function draw(el) {
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src) return;
    var s = JSON.parse(src.textContent);
    if (!s.series && !s.scatter) return;
    el.innerHTML = "";
    var chart = echarts.init(el);
    var option;
    if (s.chart === "scatter" && s.scatter) {
      option = {
        tooltip: {formatter: function (p) { return p.value[2] + "<br>" + p.value[0] + " / " + p.value[1]; }},
        xAxis: {type: "value", name: s.scatter.x, nameLocation: "middle", nameGap: 25},
        yAxis: {type: "value", name: s.scatter.y},
        grid: {left: 50, right: 20, top: 40, bottom: 40},
        series: [{type: "scatter", data: s.scatter.points.filter(function (p) { return p[0] != null && p[1] != null; })}]
      };
    } else {
      var type = s.chart === "line" ? "line" : "bar";
      var series = s.series.map(function (x, i) {
        var out = {name: x.name, type: type, data: x.data, connectNulls: true};
        if (s.chart === "stacked") out.stack = "all";
        if (i === 0 && s.targets && s.targets.length) {
          out.markLine = {symbol: "none", lineStyle: {type: "dashed", color: "#c0392b"},
            label: {position: "insideEndTop", formatter: "{b}: {c}"},
            data: s.targets.map(function (t) { return {name: t.name, yAxis: t.value}; })};
        }
        return out;
      });
      option = {
        tooltip: {trigger: "axis", valueFormatter: fmt(s.percent)},
        legend: {type: "scroll"},
        grid: {left: 50, right: 20, top: 50, bottom: 60},
        xAxis: {type: "category", data: s.categories, axisLabel: {rotate: s.categories.length > 6 ? 30 : 0}},
        yAxis: {type: "value", minInterval: s.percent ? 0 : 1,
          axisLabel: {formatter: s.percent ? "{value}%" : "{value}"}},
        series: series
      };
    }
    chart.setOption(option);
    el.setAttribute("data-drawn", "1");
    charts.push(chart);
    el.chart = chart;
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  // PNG export: the chart as an image, downloaded.
  document.querySelectorAll("[data-png]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-png"));
      if (!el || !el.chart) return;
      var a = document.createElement("a");
      a.href = el.chart.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
      a.download = (btn.getAttribute("data-name") || "chart") + ".png";
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
  });
})();
