// capacity.md: the answer first (sustainable rate, what failed above it, the best setting), then
// the sweep grid and each combination's steps.
import { formatDuration } from '../../record/duration.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import type { CapacityJson } from './capacityJson.ts';
import { rateText, stepsByRate, summaryLine, sweepGrid } from './capacityTables.ts';
import { describeSettings } from './sweepAxes.ts';

export function renderCapacityMarkdown(state: CapacityJson): string {
  const out: string[] = [];
  const s = state.search;
  out.push(
    `# pipesoak capacity · ${state.scenario}`,
    '',
    `Started ${state.startedAt}${state.complete ? '' : ' · **not finished** (`--resume` continues it)'}. ` +
      `Steps of ${formatDuration(state.step.durationMs)} (warm-up ${formatDuration(state.step.warmUpMs)}, ` +
      `cool-down ${formatDuration(state.step.coolDownMs)}); ramp from ${s.startRate}/s ×${s.factor}, ` +
      `bisection to ${(s.precision * 100).toFixed(1)}%.`,
    '',
  );
  if (state.sweep.length === 0) {
    const combo = state.combos[0];
    if (combo !== undefined) out.push(`**Result:** ${summaryLine(combo)}`, '');
  } else {
    const best = state.best;
    out.push(
      best === null
        ? '**Best setting:** none yet.'
        : `**Best setting:** ${describeSettings(best.settings)}, sustainable ${rateText(best.sustainableRate)}/s` +
            (best.withinPool === null
              ? '.'
              : `; ${METRIC.dbConnections} peaked at ${best.dbConnectionsMax} ` +
                `${best.withinPool ? 'within' : '**above**'} the pool limit ${best.poolLimit}.`),
      '',
    );
    const grid = sweepGrid(state);
    if (grid !== null) {
      const cols = grid.colAxis === null ? ['sustainable /s'] : grid.cols.map((c) => `${grid.colAxis}=${c}`);
      out.push(`| ${grid.rowAxis} | ${cols.join(' | ')} |`, `| --- |${cols.map(() => ' ---: |').join('')}`);
      for (const row of grid.rows) {
        const cells = grid.cols.map((col) => {
          const r = grid.cell(row, col)?.result;
          if (r === undefined) return '…';
          if (r === null) return 'running';
          return r.conclusion === 'generator-limit'
            ? `≥ ${rateText(r.sustainableRate)} (generator)`
            : rateText(r.sustainableRate);
        });
        out.push(`| ${row} | ${cells.join(' | ')} |`);
      }
      out.push('');
    }
  }
  for (const combo of state.combos) {
    if (state.sweep.length > 0)
      out.push(`## ${describeSettings(combo.settings)}`, '', summaryLine(combo), '');
    out.push(
      '| step | offered /s | achieved /s | e2e p99 ms | db conn max | verdict | failed on | run folder |',
      '| ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    );
    for (const st of combo.steps) {
      const f = st.figures;
      out.push(
        `| ${st.index} | ${rateText(st.rate)} | ${rateText(Math.round(f.achievedRate * 100) / 100)} | ` +
          `${f.e2eP99Ms === null ? '—' : Math.round(f.e2eP99Ms)} | ${f.dbConnectionsMax ?? '—'} | ` +
          `${st.sustainable ? (st.flaky ? 'pass (re-run)' : 'pass') : 'FAIL'} | ` +
          `${st.failed.length === 0 ? '' : `${st.failed.join(', ')}: ${st.reasons.join('; ').replaceAll('|', '\\|')}`} | ` +
          `\`${st.runDir}\` |`,
      );
    }
    if (stepsByRate(combo).length === 0) out.push('| — | | | | | no steps yet | | |');
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
