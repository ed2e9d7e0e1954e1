// The 24-month balance line of a community page (Apache ECharts, vendored).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("balance-chart");
  var data = document.getElementById("balance-series");
  if (!box || !data || !window.echarts) return;
  var series = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 80, right: 20, top: 20, bottom: 40 },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " 元"; } },
    xAxis: { type: "category", data: series.map(function (p) { return p.month; }) },
    yAxis: { type: "value", name: "元", scale: true },
    series: [{ type: "line", name: "月末余额", data: series.map(function (p) { return Number(p.balance); }), areaStyle: { opacity: 0.15 }, color: "#b22222" }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
