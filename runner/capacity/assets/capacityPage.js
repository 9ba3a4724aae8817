// capacity.html's own script, inlined after uPlot: one chart per combination of achieved rate
// (left axis) and e2e p99 (right axis) against offered rate, with the knee (the sustainable rate)
// drawn as a vertical line. Each figure records what it drew (data-drawn, data-knee) for tests.
(() => {
  const data = JSON.parse(document.getElementById('capacity-data').textContent);
  let drawn = 0;
  for (const c of data.combos) {
    const figure = document.getElementById(c.chart);
    if (!figure || c.offered.length === 0) continue;
    const width = Math.max(320, Math.min(1000, figure.parentElement.clientWidth || 900));
    const knee = (u) => {
      if (c.knee === null) return;
      const { ctx, bbox } = u;
      const x = Math.round(u.valToPos(c.knee, 'x', true));
      ctx.save();
      ctx.strokeStyle = '#dc2626';
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#991b1b';
      ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      ctx.fillText(`knee ${c.knee}/s`, x + 4 * devicePixelRatio, bbox.top + 4 * devicePixelRatio);
      ctx.restore();
      figure.dataset.knee = JSON.stringify({ rate: c.knee, x });
    };
    const opts = {
      title: `${c.label}: achieved rate and e2e p99 by offered rate`,
      width,
      height: 280,
      scales: { x: { time: false }, rate: { auto: true }, ms: { auto: true } },
      axes: [
        { label: 'offered events/s' },
        { scale: 'rate', label: 'achieved events/s' },
        { scale: 'ms', side: 1, label: 'e2e p99 ms', grid: { show: false } },
      ],
      series: [
        { label: 'offered /s' },
        { label: 'achieved /s', scale: 'rate', stroke: '#2563eb', width: 2, points: { show: true, size: 7 } },
        { label: 'e2e p99 ms', scale: 'ms', stroke: '#d97706', width: 2, points: { show: true, size: 7 } },
      ],
      hooks: { draw: [knee] },
    };
    new uPlot(opts, [c.offered, c.achieved, c.e2eP99], figure);
    figure.dataset.drawn = String(c.offered.length);
    drawn++;
  }
  document.body.dataset.charts = String(drawn);
})();
