// report.html: one self-contained page (DESIGN section 4): verdict and SLOs on top, then the run
// over time as uPlot charts with the fault windows shaded, latency summary, integrity and notes.
// uPlot and the page's own script and styles are inlined, so the page loads nothing from a
// network. Deterministic: no render time, sorted keys, rounded numbers, so a re-render of the
// same folder gives the same bytes.
import { join } from 'node:path';
import { metricEntry } from '../record/metricCatalog.ts';
import { esc, type PageAssets, pageAssets, rawText } from './pageAssets.ts';
import {
  failingSloSentences,
  formatSloObserved,
  integritySentence,
  loadSentence,
  verdictSentence,
} from './reportHeadline.ts';
import type { ReportJson } from './reportJson.ts';
import {
  formatFigure,
  formatPerMinute,
  formatQuantity,
  formatReportNumber as num,
  roundReportNumber as round,
} from './reportNumbers.ts';
import type { RunTimeline } from './runTimeline.ts';

function loadAssets(): PageAssets {
  return pageAssets(
    join(import.meta.dirname, 'assets', 'reportPage.js'),
    join(import.meta.dirname, 'assets', 'reportPage.css'),
  );
}

export function renderHtmlReport(report: ReportJson, timeline: RunTimeline): string {
  const { uplotJs, uplotCss, pageJs, pageCss } = loadAssets();
  const r = report.run;
  const verdict = report.verdict;
  const title = `pipesoak · ${r.scenario} · ${verdict}${report.partial ? ' (partial run)' : ''}`;
  const out: string[] = [];
  out.push(
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${rawText(uplotCss, 'style')}\n${rawText(pageCss, 'style')}</style>`,
    '</head>',
    '<body>',
    `<header class="verdict ${verdict}">`,
    `<h1>pipesoak · ${esc(r.scenario)}</h1>`,
    `<span class="badge" id="verdict">${verdict.toUpperCase()}</span>`,
    report.partial ? '<span class="partial">partial run</span>' : '',
    `<p class="headline" id="headline">${boldLead(verdictSentence(report))}</p>`,
    failingSloSentences(report).length === 0
      ? ''
      : `<ul class="failing" id="failing">${failingSloSentences(report)
          .map((f) => `<li>${esc(f)}</li>`)
          .join('')}</ul>`,
    `<p class="run">${[loadSentence(report), integritySentence(report)]
      .filter((l) => l !== null)
      .map((l) => esc(l))
      .join(
        '<br>',
      )}<br>Run <code>${esc(r.id)}</code> started ${esc(r.startedAt)}, ${formatQuantity(r.durationS, 's')}` +
      `${r.seed === null ? '' : `, seed ${r.seed}`}.</p>`,
    '</header>',
  );

  if (report.findings?.length) {
    out.push('<h2>Findings</h2>', '<ul class="findings">');
    for (const f of report.findings) out.push(`<li>${esc(f)}</li>`);
    out.push('</ul>');
  }

  out.push(
    '<h2>SLOs</h2>',
    '<table class="slos"><thead><tr><th>status</th><th>SLO</th><th>objective</th>' +
      '<th class="num">observed</th><th>reason</th></tr></thead><tbody>',
  );
  for (const s of report.slos) {
    const observed = formatSloObserved(s);
    const status = s.pass ? 'pass' : 'fail';
    out.push(
      `<tr class="slo ${status}"><td class="status">${s.pass ? '✔ pass' : '✘ fail'}</td><td>${esc(s.name)}</td>` +
        `<td>${esc(s.objective)}</td><td class="num">${esc(observed)}</td><td>${esc(s.reason ?? '')}</td></tr>`,
    );
  }
  if (report.slos.length === 0) out.push('<tr><td colspan="5">No SLOs were evaluated.</td></tr>');
  out.push('</tbody></table>');

  out.push('<h2>Over time</h2>', `<p class="key">${chartKey(timeline)}</p>`);
  if (timeline.faults.length > 0) {
    out.push('<ul class="faults">');
    for (const f of timeline.faults) {
      const what = [f.what, f.where].filter((w) => w !== '').join(' on ');
      out.push(
        `<li class="fault">fault <b>${esc(f.id)}</b>${what ? `: ${esc(what)}` : ''}, ` +
          `${clock(f.fromS)} → ${clock(f.toS)}${f.open ? ' (never ended)' : ''}</li>`,
      );
    }
    out.push('</ul>');
  }
  out.push('<div class="charts">');
  for (const c of timeline.charts) {
    out.push(
      `<figure class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}">`,
      `<figcaption>${esc(c.title)} <span class="unit">(${esc(c.unit)})</span>` +
        (c.logScale && c.noData === undefined
          ? '<label class="log-toggle"><input type="checkbox" class="log-scale"> log scale</label>'
          : '') +
        `<small>${esc(c.source)}</small></figcaption>`,
      c.noData === undefined ? '<div class="plot"></div>' : `<div class="plot nodata">${esc(c.noData)}</div>`,
      '</figure>',
    );
  }
  out.push('</div>');

  const metrics = Object.entries(report.metrics);
  out.push('<h2>Latency over the steady window (ms)</h2>');
  if (metrics.length === 0) out.push('<p>No latency samples.</p>');
  else {
    out.push(
      '<table class="metrics"><thead><tr><th>metric</th>' +
        ['count', 'p50', 'p90', 'p99', 'p99.9', 'max'].map((h) => `<th class="num">${h}</th>`).join('') +
        '</tr></thead><tbody>',
    );
    const row = (
      label: string,
      m: { count: number; p50: number; p90: number; p99: number; p999: number; max: number },
    ) => {
      const cells = [m.count, m.p50, m.p90, m.p99, m.p999, m.max].map(
        (v) => `<td class="num">${formatFigure(v)}</td>`,
      );
      out.push(`<tr><td>${esc(label)}</td>${cells.join('')}</tr>`);
    };
    for (const [name, m] of metrics) {
      row(name, m);
      // Tags the catalogue keeps apart (dispatch.latency main vs dlq) get a row each.
      for (const [key, values] of Object.entries(m.byTag ?? {})) {
        for (const [value, t] of Object.entries(values)) row(`${name} ${key}=${value}`, t);
      }
    }
    out.push('</tbody></table>');
  }

  if (report.stages) {
    out.push(
      '<h2>Where the e2e time goes (steady window)</h2>',
      '<table class="stages"><thead><tr><th>stage</th>' +
        ['p50', 'p99', 'mean', 'share of e2e'].map((h) => `<th class="num">${h}</th>`).join('') +
        '<th>source</th></tr></thead><tbody>',
    );
    const cellNum = (v: number | null) => `<td class="num">${v === null ? '—' : formatFigure(v)}</td>`;
    for (const st of report.stages.stages) {
      const share = st.share === null ? '—' : `${formatFigure(Math.round(st.share * 1000) / 10)}%`;
      out.push(
        `<tr class="stage${st.measured ? '' : ' unmeasured'}"><td>${esc(st.stage)}</td>${cellNum(st.p50)}${cellNum(st.p99)}` +
          `${cellNum(st.mean)}<td class="num">${share}</td><td>${esc(st.measured ? st.source : (st.reason ?? 'not measured'))}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  if (report.littlesLaw?.length) {
    out.push(
      "<h2>Little's law (backlog vs λ·W)</h2>",
      '<table class="littles-law"><thead><tr><th>stage</th><th class="num">backlog</th><th class="num">λ·W</th>' +
        '<th class="num">ratio</th><th>note</th></tr></thead><tbody>',
    );
    for (const c of report.littlesLaw) {
      const n = (v: number | null) => `<td class="num">${v === null ? '—' : formatFigure(v)}</td>`;
      out.push(
        `<tr class="${c.ok ? 'pass' : 'fail'}"><td>${esc(c.name)}</td>${n(c.backlog)}${n(c.expected)}${n(c.ratio)}<td>${esc(c.note ?? 'ok')}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }

  const counts = Object.entries(report.counts);
  const gauges = Object.entries(report.gauges);
  if (counts.length > 0 || gauges.length > 0) {
    out.push(
      '<h2>Gauges and counters over the steady window</h2>',
      '<table class="gauges"><thead><tr><th>name</th>' +
        ['min', 'mean', 'max', 'last', 'slope/min', 'total']
          .map((h) => `<th class="num">${h}</th>`)
          .join('') +
        '</tr></thead><tbody>',
    );
    const dash = '<td class="num">—</td>';
    for (const [name, g] of gauges) {
      const unit = metricEntry(name)?.unit;
      const q = (v: number) => `<td class="num">${esc(formatQuantity(v, unit))}</td>`;
      const slope =
        g.slopePerMin === null ? dash : `<td class="num">${esc(formatPerMinute(g.slopePerMin, unit))}</td>`;
      out.push(
        `<tr class="gauge"><td>${esc(name)}</td>${q(g.min)}${q(g.mean)}${q(g.max)}${q(g.last)}${slope}${dash}</tr>`,
      );
    }
    for (const [name, total] of counts) {
      out.push(
        `<tr class="counter"><td>${esc(name)}</td>${dash.repeat(5)}<td class="num">${formatFigure(total)}</td></tr>`,
      );
    }
    if (report.errorRate !== null)
      out.push(
        `<tr class="counter"><td>error rate</td>${dash.repeat(5)}<td class="num">${formatFigure(report.errorRate)}</td></tr>`,
      );
    out.push('</tbody></table>');
  }

  const i = report.integrity;
  out.push(
    '<h2>Integrity</h2>',
    '<table class="integrity"><thead><tr>' +
      ['accepted', 'completed', 'dead-lettered', 'lost', 'duplicated']
        .map((h) => `<th class="num">${h}</th>`)
        .join('') +
      '</tr></thead><tbody><tr>' +
      [i.accepted, i.completed, i.deadLettered, i.lost, i.duplicated]
        .map((v) => `<td class="num">${v === null ? '—' : formatFigure(v)}</td>`)
        .join('') +
      '</tr></tbody></table>',
  );
  const notes = [...(report.notes ?? []), ...timeline.notes];
  if (notes.length > 0) {
    out.push('<h2>Notes</h2>', '<ul class="notes">');
    for (const note of notes) out.push(`<li>${esc(note)}</li>`);
    out.push('</ul>');
  }

  out.push(
    `<script type="application/json" id="pipesoak-data">${chartData(timeline)}</script>`,
    `<script>${rawText(uplotJs, 'script')}</script>`,
    `<script>${rawText(pageJs, 'script')}</script>`,
    '</body>',
    '</html>',
  );
  return `${out.filter((l) => l !== '').join('\n')}\n`;
}

function chartKey(t: RunTimeline): string {
  const parts = [
    t.bucketS === 1
      ? 'Each point is one second.'
      : `Each point is a ${t.bucketS} s bucket: latency percentiles of the bucket's merged histograms, gauges at their peak.`,
  ];
  parts.push('Shaded: <span class="swatch fault"></span>fault window');
  if (t.warmUpS > 0) {
    parts.push(
      `<span class="swatch warm-up"></span>warm-up (${num(t.warmUpS)} s).`,
      'The y axes fit the steady window, so warm-up values may run off the top.',
    );
  }
  return parts.join(' ');
}

/** The charts' data for the page script: sorted keys, rounded numbers, no `<` to end the script. */
function chartData(t: RunTimeline): string {
  const data = {
    bucketS: t.bucketS,
    durationS: t.durationS,
    warmUpS: t.warmUpS,
    faults: t.faults,
    charts: t.charts,
  };
  return JSON.stringify(data, (_key, value: unknown) => {
    if (typeof value === 'number') return round(value);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
    return sorted;
  }).replace(/</g, '\\u003c');
}

/** The headline's `**Verdict: x**` lead in bold; the rest escaped. */
function boldLead(sentence: string): string {
  const m = /^\*\*(.+?)\*\*(.*)$/.exec(sentence);
  return m === null ? esc(sentence) : `<b>${esc(m[1] ?? '')}</b>${esc(m[2] ?? '')}`;
}

/** Elapsed seconds as h:mm:ss. */
function clock(s: number): string {
  const t = Math.round(Math.max(0, s));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(t / 3600)}:${pad(Math.floor((t % 3600) / 60))}:${pad(t % 60)}`;
}
