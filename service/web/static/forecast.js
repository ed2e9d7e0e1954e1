// The fund forecast chart (Apache ECharts, vendored): month-end balance, the
// replenishment line (30% of the first deposits) and the expected repairs.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("forecast-chart");
  var data = document.getElementById("forecast-series");
  if (!box || !data || !window.echarts) return;
  var series = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 80, right: 20, top: 40, bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " 元"; } },
    xAxis: { type: "category", data: series.months },
    yAxis: { type: "value", name: "元" },
    series: [
      { type: "line", name: "月末余额", data: series.balance.map(Number), showSymbol: false, color: "#b22222", areaStyle: { opacity: 0.12 } },
      { type: "line", name: "续交线", data: series.months.map(function () { return Number(series.threshold); }), showSymbol: false, color: "#555", lineStyle: { type: "dashed" } },
      { type: "bar", name: "预计维修", data: series.repairs.map(Number), color: "#e0a030" }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
