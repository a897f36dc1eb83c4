// The trend chart of an indicator page: the series come from the #trend-data JSON.
(function () {
  var el = document.getElementById("trend-chart");
  if (!window.echarts || !el) return;
  var t = JSON.parse(document.getElementById("trend-data").textContent);
  var selected = {};
  t.series.forEach(function (s, i) { selected[s.name] = i < 4; });
  el.innerHTML = "";
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v == null ? "" : v.toFixed(2) + "%"; }},
    legend: {type: "scroll", selected: selected},
    grid: {left: 40, right: 20, top: 50, bottom: 30},
    xAxis: {type: "category", data: t.periods},
    yAxis: {type: "value", axisLabel: {formatter: "{value}%"}},
    series: t.series.map(function (s) { return {name: s.name, type: "line", data: s.data, connectNulls: true}; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
