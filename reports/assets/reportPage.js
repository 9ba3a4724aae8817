// report.html's own script, inlined after uPlot: draws each chart from the JSON in #pipesoak-data,
// shades the warm-up and the fault windows, and records what it shaded (data-shaded, canvas px)
// so a test can check the shading without guessing pixels. Charts without data are notes in the
// HTML already and are skipped here.
(() => {
  const data = JSON.parse(document.getElementById('pipesoak-data').textContent);
  const COLORS = ['#2563eb', '#d97706', '#dc2626', '#059669', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
  const FAULT_FILL = 'rgba(220, 38, 38, 0.16)';
  const WARM_UP_FILL = 'rgba(107, 114, 128, 0.14)';
  const HEIGHT = 220;
  // Tick steps in seconds that read well as elapsed time.
  const X_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  const pad = (n) => String(n).padStart(2, '0');
  function elapsed(s) {
    const t = Math.round(Math.abs(s));
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const text = h > 0 ? `${h}:${pad(m)}:${pad(t % 60)}` : `${m}:${pad(t % 60)}`;
    return s < 0 ? `-${text}` : text;
  }
  function compact(v) {
    if (v === null || v === undefined) return '';
    const a = Math.abs(v);
    if (a >= 1e9) return `${+(v / 1e9).toFixed(2)}G`;
    if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
    if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
    return String(+v.toFixed(a >= 10 ? 1 : 3));
  }

  // Ticks of a run over an hour step by minutes at least: h:mm reads better than h:mm:00.
  const hours = data.durationS >= 3600;
  const clockUnit = hours ? 'h:mm' : 'm:ss';
  const tick = (s) => (hours ? `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}` : elapsed(s));
  const xIncrs = X_INCRS.filter((i) => !hours || i >= 60);
  const windows = [];
  if (data.warmUpS > 0) windows.push({ fromS: 0, toS: data.warmUpS, fill: WARM_UP_FILL, label: 'warm-up' });
  for (const f of data.faults) windows.push({ fromS: f.fromS, toS: f.toS, fill: FAULT_FILL, label: f.id });

  // Under the grid and the lines: runs first on every redraw.
  function shade(u, figure) {
    const { ctx, bbox } = u;
    const shaded = [];
    ctx.save();
    ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    for (const w of windows) {
      const x0 = Math.max(bbox.left, u.valToPos(w.fromS, 'x', true));
      const x1 = Math.min(bbox.left + bbox.width, u.valToPos(w.toS, 'x', true));
      if (!(x1 > x0)) continue;
      ctx.fillStyle = w.fill;
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
      ctx.fillStyle = w.fill === FAULT_FILL ? '#991b1b' : '#374151';
      ctx.fillText(w.label, x0 + 3 * devicePixelRatio, bbox.top + 3 * devicePixelRatio, x1 - x0);
      shaded.push({ label: w.label, fromS: w.fromS, toS: w.toS, x0: Math.round(x0), x1: Math.round(x1) });
    }
    ctx.restore();
    figure.dataset.shaded = JSON.stringify(shaded);
  }

  const drawn = [];
  for (const chart of data.charts) {
    const figure = document.getElementById(`chart-${chart.id}`);
    if (chart.noData || !figure) continue;
    const plot = figure.querySelector('.plot');
    const last = chart.x[chart.x.length - 1] ?? 0;
    const range = [Math.min(0, chart.x[0] ?? 0), Math.max(data.durationS, last + data.bucketS)];
    const value = (_u, v) => (v === null || v === undefined ? '—' : `${compact(v)} ${chart.unit}`);
    // Scale y to the steady window: warm-up outliers may run off the top instead of flattening
    // everything after them. Every charted quantity is >= 0, so the axis starts at 0.
    let steadyMax = 0;
    chart.x.forEach((x, i) => {
      if (x < data.warmUpS) return;
      for (const line of chart.lines) steadyMax = Math.max(steadyMax, line.values[i] ?? 0);
    });
    const yRange = (_u, _min, max) =>
      uPlot.rangeNum(0, steadyMax > 0 ? steadyMax : Math.max(max, 1), 0.1, true);
    const options = {
      width: plot.clientWidth,
      height: HEIGHT,
      // Room on the right for the last tick's label.
      padding: [null, 24, null, null],
      scales: { x: { time: false, range: () => range }, y: { range: yRange } },
      axes: [
        {
          label: `elapsed since run start (${clockUnit})`,
          incrs: xIncrs,
          values: (_u, ticks) => ticks.map(tick),
        },
        { label: chart.unit, size: 56, values: (_u, ticks) => ticks.map(compact) },
      ],
      series: [
        { label: 'elapsed', value: (_u, v) => (v === null ? '—' : elapsed(v)) },
        ...chart.lines.map((line, i) => ({
          label: line.label,
          stroke: COLORS[i % COLORS.length],
          // Stacked charts list the top layer first; each fills to the axis over the ones below.
          ...(chart.stacked ? { fill: `${COLORS[i % COLORS.length]}99` } : {}),
          width: 1.5,
          // Lines of one chart may sample at different cadences (hlog intervals, gauge ticks).
          spanGaps: true,
          value,
        })),
      ],
      hooks: { drawClear: [(u) => shade(u, figure)] },
    };
    const u = new uPlot(options, [chart.x, ...chart.lines.map((l) => l.values)], plot);
    figure.dataset.points = String(chart.x.length);
    drawn.push({ u, plot });
  }
  window.addEventListener('resize', () => {
    for (const { u, plot } of drawn) u.setSize({ width: plot.clientWidth, height: HEIGHT });
  });
  document.body.dataset.charts = String(drawn.length);
})();
