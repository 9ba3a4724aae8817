// report.html's own script, inlined after uPlot: draws each chart from the JSON in #pipesoak-data,
// with its objectives as dashed lines, a legend that shows each line's last, mean and max without a
// hover, and a log-scale toggle where the chart offers one; shades the warm-up and the fault
// windows, and records what it shaded and drew (data-shaded, data-thresholds, data-y-range, canvas px) so a
// test can check them without guessing pixels. Charts without data are notes in the
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
    // Thousands read whole (2616 ms, not 2615.3 ms); tens to one decimal; below that 3 decimals.
    return String(+v.toFixed(a >= 1000 ? 0 : a >= 10 ? 1 : 3));
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

  // The legend's columns: the value under the cursor, then the line's last, mean and max over the
  // steady window, shown whether or not the cursor is over the plot.
  function lineStats(chart, values) {
    let last = null;
    let max = null;
    let sum = 0;
    let n = 0;
    chart.x.forEach((x, i) => {
      const v = values[i];
      if (v === null || v === undefined || x < data.warmUpS) return;
      last = v;
      max = max === null ? v : Math.max(max, v);
      sum += v;
      n++;
    });
    return { last, mean: n > 0 ? sum / n : null, max };
  }

  const THRESHOLD_COLOR = '#b91c1c';
  // A threshold this far above the data would flatten a linear chart: it is named, not drawn.
  const THRESHOLD_REACH = 10;

  function draw(chart, figure, log) {
    const plot = figure.querySelector('.plot');
    plot.textContent = '';
    const last = chart.x[chart.x.length - 1] ?? 0;
    const range = [Math.min(0, chart.x[0] ?? 0), Math.max(data.durationS, last + data.bucketS)];
    const fmt = (v) => (v === null || v === undefined ? '—' : `${compact(v)} ${chart.unit}`);
    // Scale y to the steady window: warm-up outliers may run off the top instead of flattening
    // everything after them. Every charted quantity is >= 0, so a linear axis starts at 0.
    let steadyMax = 0;
    let steadyMin = Number.POSITIVE_INFINITY;
    chart.x.forEach((x, i) => {
      if (x < data.warmUpS) return;
      for (const line of chart.lines) {
        const v = line.values[i];
        if (v === null || v === undefined) continue;
        steadyMax = Math.max(steadyMax, v);
        if (v > 0) steadyMin = Math.min(steadyMin, v);
      }
    });
    const thresholds = (chart.thresholds ?? []).map((t) => ({
      ...t,
      drawn: log || t.value <= Math.max(steadyMax, 1) * THRESHOLD_REACH,
    }));
    let top = steadyMax;
    let bottom = steadyMin;
    for (const t of thresholds) {
      if (!t.drawn) continue;
      top = Math.max(top, t.value);
      bottom = Math.min(bottom, t.value);
    }
    const yRange = log
      ? (_u, min, max) => {
          const lo = Number.isFinite(bottom) ? bottom : Math.max(min, 0.001);
          return uPlot.rangeLog(lo, top > 0 ? top : Math.max(max, 1), 10, true);
        }
      : (_u, _min, max) => uPlot.rangeNum(0, top > 0 ? top : Math.max(max, 1), 0.1, true);
    // A log axis has no place for 0: those points are gaps.
    const values = chart.lines.map((l) => (log ? l.values.map((v) => (v > 0 ? v : null)) : l.values));
    const stats = chart.lines.map((l) => lineStats(chart, l.values));
    const legendValues = (sidx) => (u, _s, idx) => {
      const st = stats[sidx - 1];
      const t = thresholds[sidx - 1 - chart.lines.length];
      // uPlot asks once for the column names before it holds any data.
      const now = idx === null || idx === undefined ? '—' : fmt(u.data?.[sidx]?.[idx]);
      if (st === undefined) return { now, last: fmt(t.value), mean: '', max: '' };
      return { now, last: fmt(st.last), mean: fmt(st.mean), max: fmt(st.max) };
    };
    const options = {
      width: plot.clientWidth,
      height: HEIGHT,
      // Room on the right for the last tick's label.
      padding: [null, 24, null, null],
      scales: {
        x: { time: false, range: () => range },
        y: log ? { distr: 3, log: 10, range: yRange } : { range: yRange },
      },
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
          values: legendValues(i + 1),
        })),
        ...thresholds.map((t, i) => ({
          label: t.drawn ? t.label : `${t.label} (above the chart)`,
          stroke: THRESHOLD_COLOR,
          dash: [6, 4],
          width: 1.5,
          points: { show: false },
          values: legendValues(chart.lines.length + i + 1),
        })),
      ],
      hooks: {
        drawClear: [(u) => shade(u, figure)],
        draw: [
          (u) => {
            figure.dataset.yRange = JSON.stringify([u.scales.y.min, u.scales.y.max]);
            figure.dataset.thresholds = JSON.stringify(
              thresholds.map((t) => ({
                label: t.label,
                value: t.value,
                drawn: t.drawn,
                y: t.drawn ? Math.round(u.valToPos(t.value, 'y', true)) : null,
              })),
            );
          },
        ],
      },
    };
    const lineData = thresholds.map((t) => chart.x.map(() => (t.drawn ? t.value : null)));
    const u = new uPlot(options, [chart.x, ...values, ...lineData], plot);
    figure.dataset.points = String(chart.x.length);
    figure.dataset.scale = log ? 'log' : 'linear';
    return u;
  }

  const drawn = [];
  for (const chart of data.charts) {
    const figure = document.getElementById(`chart-${chart.id}`);
    if (chart.noData || !figure) continue;
    const entry = { chart, figure, u: draw(chart, figure, false) };
    const toggle = figure.querySelector('input.log-scale');
    if (toggle) {
      toggle.addEventListener('change', () => {
        entry.u.destroy();
        entry.u = draw(chart, figure, toggle.checked);
      });
    }
    drawn.push(entry);
  }
  window.addEventListener('resize', () => {
    for (const { u, figure } of drawn) {
      u.setSize({ width: figure.querySelector('.plot').clientWidth, height: HEIGHT });
    }
  });
  document.body.dataset.charts = String(drawn.length);
})();
