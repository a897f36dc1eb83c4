// The thematic map: boundaries and values come from the #map-data JSON (see maps/queries.py).
// A click on a region opens the map of the units below it (the region's own URL).
(function () {
  var el = document.getElementById("map-chart");
  if (!window.echarts || !el) return;
  var d = JSON.parse(document.getElementById("map-data").textContent);
  var name = "jiceng-" + d.node.code;
  echarts.registerMap(name, d.geojson);
  var byCode = {};
  d.regions.forEach(function (r) { byCode[r.code] = r; });
  var unit = d.indicator ? d.indicator.unit : "";
  function fmt(v) { return v == null ? "—" : (Math.round(v * 100) / 100) + unit; }
  var points = d.points.map(function (p) {
    return {name: p.name, value: [p.lon, p.lat, p.value], url: p.url, itemStyle: {color: p.colour, borderColor: "#444", borderWidth: 0.5}};
  });
  var pvals = d.points.map(function (p) { return p.value; }).filter(function (v) { return v != null; });
  var pmin = Math.min.apply(null, pvals.concat([0])), pmax = Math.max.apply(null, pvals.concat([1]));
  function size(v) { return v == null ? 4 : 5 + 11 * (pmax > pmin ? (v - pmin) / (pmax - pmin) : 0.5); }
  // The legend is drawn into the chart too, so that the exported PNG carries it.
  var legend = d.classes.map(function (c, i) {
    return {type: "group", left: 10, bottom: 10 + 18 * (d.classes.length - i), children: [
      {type: "rect", shape: {width: 14, height: 12}, style: {fill: c.colour, stroke: "#999"}},
      {type: "text", left: 20, top: 0, style: {text: fmt(c.from) + " – " + fmt(c.to), fontSize: 12}}
    ]};
  });
  legend.push({type: "group", left: 10, bottom: 10, children: [
    {type: "rect", shape: {width: 14, height: 12}, style: {fill: d.no_data_colour, stroke: "#999"}},
    {type: "text", left: 20, top: 0, style: {text: el.getAttribute("data-no-data"), fontSize: 12}}
  ]});
  el.innerHTML = "";
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    title: {text: (d.indicator ? d.indicator.name : "") + " · " + d.period, subtext: d.node.name, left: "center", textStyle: {fontSize: 15}},
    tooltip: {trigger: "item", formatter: function (p) {
      if (p.seriesType === "scatter") return p.name + "<br>" + fmt(p.value[2]);
      var r = byCode[p.name];
      return r ? r.name + "<br>" + fmt(r.value) : p.name;
    }},
    geo: {
      map: name, roam: true, nameProperty: "name", top: 60, bottom: 20,
      itemStyle: {borderColor: "#fff", borderWidth: 1, areaColor: d.no_data_colour},
      emphasis: {itemStyle: {areaColor: "#fdae6b"}, label: {show: true}},
      label: {show: d.regions.length <= 40, fontSize: 11, color: "#333", formatter: function (p) { var r = byCode[p.name]; return r ? r.name : ""; }},
      regions: d.regions.map(function (r) { return {name: r.code, itemStyle: {areaColor: r.colour}}; })
    },
    series: [{type: "scatter", coordinateSystem: "geo", data: points, symbolSize: function (v) { return size(v[2]); }, zlevel: 1}],
    graphic: legend
  });
  // A click on a region, or on an institution inside it, opens the map of the region's units.
  chart.on("click", function (p) {
    var url = null;
    if (p.componentType === "geo") url = (byCode[p.name] || {}).url;
    else if (p.seriesType === "scatter" && p.data) url = p.data.url;
    if (url) window.location.href = url;
  });
  window.addEventListener("resize", function () { chart.resize(); });
  var png = document.getElementById("map-png");
  if (png) png.addEventListener("click", function () {
    var a = document.createElement("a");
    a.href = chart.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
    a.download = "map-" + d.node.code + "-" + d.period + ".png";
    document.body.appendChild(a); a.click(); a.remove();
  });
  // For tests and the dashboard: where a region's inner point is on the page.
  window.jicengMap = {
    chart: chart,
    pixelOf: function (code) {
      var r = byCode[code];
      if (!r || !r.centre) return null;
      var xy = chart.convertToPixel({geoIndex: 0}, r.centre);
      var box = el.getBoundingClientRect();
      return {x: box.left + xy[0], y: box.top + xy[1]};
    }
  };
  el.setAttribute("data-ready", "1");
})();
