// capacity.html: one self-contained page (uPlot and the page script inlined, as report.html does,
// so it loads nothing from a network): the answer, the sweep heatmap, and for each combination a
// chart of achieved rate and e2e p99 against offered rate with the knee (the sustainable rate)
// marked, then the steps. Deterministic: the same capacity.json gives the same bytes.
import { join } from 'node:path';
import { METRIC } from '../../record/metricCatalog.ts';
import { esc, type PageAssets, pageAssets, rawText } from '../../reports/pageAssets.ts';
import type { CapacityJson } from './capacityJson.ts';
import { rateText, stepsByRate, summaryLine, sweepGrid } from './capacityTables.ts';
import { describeSettings } from './sweepAxes.ts';

function loadAssets(): PageAssets {
  return pageAssets(
    join(import.meta.dirname, 'assets', 'capacityPage.js'),
    join(import.meta.dirname, 'assets', 'capacityPage.css'),
  );
}

export function renderCapacityHtml(state: CapacityJson): string {
  const { uplotJs, uplotCss, pageJs, pageCss } = loadAssets();
  const title = `pipesoak capacity · ${state.scenario}${state.complete ? '' : ' (not finished)'}`;
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${rawText(uplotCss, 'style')}\n${rawText(pageCss, 'style')}</style>`,
    '</head>',
    '<body>',
    `<h1>pipesoak capacity · ${esc(state.scenario)}</h1>`,
    `<p class="run">Started ${esc(state.startedAt)}; steps of ${state.step.durationMs / 1000} s ` +
      `(warm-up ${state.step.warmUpMs / 1000} s); ramp from ${state.search.startRate}/s ×${state.search.factor}, ` +
      `bisection to ${(state.search.precision * 100).toFixed(1)}%.` +
      `${state.complete ? '' : ' <strong>Not finished</strong>: <code>--resume</code> continues it.'}</p>`,
  ];
  if (state.sweep.length === 0) {
    const combo = state.combos[0];
    if (combo !== undefined) out.push(`<p class="answer" id="answer">${esc(summaryLine(combo))}</p>`);
  } else {
    const best = state.best;
    out.push(
      `<p class="answer" id="answer">${
        best === null
          ? 'No setting has a sustainable rate yet.'
          : esc(
              `Best setting: ${describeSettings(best.settings)}, sustainable ${rateText(best.sustainableRate)}/s` +
                (best.withinPool === null
                  ? '.'
                  : `; ${METRIC.dbConnections} peaked at ${best.dbConnectionsMax}, ` +
                    `${best.withinPool ? 'within' : 'ABOVE'} the pool limit ${best.poolLimit}.`),
            )
      }</p>`,
    );
    out.push(heatmap(state));
  }
  for (const [i, combo] of state.combos.entries()) {
    out.push(
      `<section class="combo" data-combo="${esc(combo.id)}">`,
      state.sweep.length === 0 ? '' : `<h2>${esc(describeSettings(combo.settings))}</h2>`,
      state.sweep.length === 0 ? '' : `<p>${esc(summaryLine(combo))}</p>`,
      combo.steps.length === 0
        ? '<p class="no-data">No steps yet.</p>'
        : `<figure class="chart" id="chart-${i}" data-combo="${esc(combo.id)}"></figure>`,
      '<table class="steps"><thead><tr><th class="num">step</th><th class="num">offered /s</th>' +
        '<th class="num">achieved /s</th><th class="num">e2e p99 ms</th><th class="num">db conn max</th>' +
        '<th>verdict</th><th>failed on</th><th>run folder</th></tr></thead><tbody>',
    );
    for (const st of combo.steps) {
      const f = st.figures;
      out.push(
        `<tr class="${st.sustainable ? 'pass' : 'fail'}"><td class="num">${st.index}</td>` +
          `<td class="num">${rateText(st.rate)}</td><td class="num">${rateText(round2(f.achievedRate))}</td>` +
          `<td class="num">${f.e2eP99Ms === null ? '—' : Math.round(f.e2eP99Ms)}</td>` +
          `<td class="num">${f.dbConnectionsMax ?? '—'}</td>` +
          `<td>${st.sustainable ? (st.flaky ? '✔ pass (re-run)' : '✔ pass') : '✘ fail'}</td>` +
          `<td>${esc(st.failed.length === 0 ? '' : `${st.failed.join(', ')}: ${st.reasons.join('; ')}`)}</td>` +
          `<td><a href="${esc(`${st.runDir}/report.html`)}"><code>${esc(st.runDir)}</code></a></td></tr>`,
      );
    }
    out.push('</tbody></table>', '</section>');
  }
  out.push(
    `<script type="application/json" id="capacity-data">${chartData(state)}</script>`,
    `<script>${rawText(uplotJs, 'script')}</script>`,
    `<script>${rawText(pageJs, 'script')}</script>`,
    '</body>',
    '</html>',
  );
  return `${out.filter((l) => l !== '').join('\n')}\n`;
}

/** Batch × pool of sustainable rates, each cell shaded by its share of the best rate. */
function heatmap(state: CapacityJson): string {
  const grid = sweepGrid(state);
  if (grid === null) return '<p class="no-data">More than two swept settings: see each one below.</p>';
  let top = 0;
  for (const c of state.combos) top = Math.max(top, c.result?.sustainableRate ?? 0);
  const head = grid.colAxis === null ? ['sustainable /s'] : grid.cols.map((c) => `${grid.colAxis}=${c}`);
  const rows = grid.rows.map((row) => {
    const cells = grid.cols.map((col) => {
      const combo = grid.cell(row, col);
      const rate = combo?.result?.sustainableRate ?? null;
      const share = rate === null || top === 0 ? 0 : rate / top;
      const text = combo?.result === undefined || combo.result === null ? '…' : rateText(rate);
      const best = state.best !== null && combo !== undefined && combo.id === state.best.id;
      return (
        `<td class="num heat${best ? ' best' : ''}" data-combo="${esc(combo?.id ?? '')}" data-rate="${rate ?? ''}" ` +
        `style="background: rgba(5, 150, 105, ${(0.1 + 0.8 * share).toFixed(2)})">${text}</td>`
      );
    });
    return `<tr><th>${esc(grid.rowAxis ?? '')}=${row}</th>${cells.join('')}</tr>`;
  });
  return (
    '<h2>Sustainable rate by setting</h2>' +
    `<table class="heatmap" id="heatmap"><thead><tr><th></th>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** Per combination: the deciding step per offered rate, and the knee; no `<` to end the script. */
function chartData(state: CapacityJson): string {
  const combos = state.combos.map((c, i) => {
    const steps = stepsByRate(c);
    return {
      chart: `chart-${i}`,
      label: describeSettings(c.settings),
      offered: steps.map((s) => s.rate),
      achieved: steps.map((s) => round2(s.figures.achievedRate)),
      e2eP99: steps.map((s) => (s.figures.e2eP99Ms === null ? null : round2(s.figures.e2eP99Ms))),
      sustainable: steps.map((s) => s.sustainable),
      knee: c.result?.sustainableRate ?? null,
    };
  });
  return JSON.stringify({ combos }).replace(/</g, '\\u003c');
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
