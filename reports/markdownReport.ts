// report.md: the run at a glance, fit for a GitHub step summary: the verdict and each failing SLO
// in a sentence, load against target and integrity, then the SLO table, integrity, latencies,
// counts, gauges (folded), stages and notes. Figures carry their units. Plain GitHub-flavoured Markdown tables, nothing that needs a network.
import { metricEntry } from '../record/metricCatalog.ts';
import {
  failingSloSentences,
  formatSloObserved,
  integritySentence,
  loadSentence,
  verdictSentence,
} from './reportHeadline.ts';
import type { ReportJson } from './reportJson.ts';
import { formatFigure, formatPerMinute, formatQuantity } from './reportNumbers.ts';

export function renderMarkdownReport(report: ReportJson): string {
  const lines: string[] = [];
  const verdict = report.verdict === 'pass' ? '✅ pass' : '❌ fail';
  lines.push(
    `## pipesoak · ${cell(report.run.scenario)} · ${verdict}${report.partial ? ' (partial run)' : ''}`,
    '',
  );
  // The verdict and what failed first: a CI step summary is often read no further.
  lines.push(verdictSentence(report), '');
  const failing = failingSloSentences(report);
  if (failing.length > 0) {
    for (const f of failing) lines.push(`- ❌ ${f}`);
    lines.push('');
  }
  const load = loadSentence(report);
  lines.push(...(load === null ? [] : [load, '']), integritySentence(report), '');
  lines.push(
    `Run \`${cell(report.run.id)}\` started ${report.run.startedAt}, ${formatQuantity(report.run.durationS, 's')}` +
      `${report.run.seed === null ? '' : `, seed ${report.run.seed}`}.`,
    '',
  );
  const segments = report.run.segments ?? [];
  if (segments.length > 0) {
    // One part: this folder is a segment; several: the run was merged from them.
    const parts = segments.map(
      (p) => `\`${cell(p.segment)}\` ${p.loadOnly ? 'load only' : 'load, collectors and integrity'}`,
    );
    lines.push(`${segments.length === 1 ? 'Segment' : 'Merged from segments'}: ${parts.join('; ')}.`, '');
  }

  const failed = report.slos.filter((s) => !s.pass).length;
  lines.push(`### SLOs (${report.slos.length - failed}/${report.slos.length} pass)`, '');
  lines.push('| | SLO | objective | observed | note |', '| --- | --- | --- | --- | --- |');
  for (const s of report.slos) {
    lines.push(
      `| ${s.pass ? '✅' : '❌'} | ${cell(s.name)} | ${cell(s.objective)} | ${formatSloObserved(s)} | ${cell(s.reason ?? '')} |`,
    );
  }
  lines.push('');

  const i = report.integrity;
  lines.push('### Integrity', '');
  lines.push(
    '| accepted | completed | dead-lettered | lost | duplicated |',
    '| ---: | ---: | ---: | ---: | ---: |',
  );
  lines.push(
    `| ${[i.accepted, i.completed, i.deadLettered, i.lost, i.duplicated].map(opt).join(' | ')} |`,
    '',
  );

  if (report.findings?.length) {
    lines.push('### Findings', '');
    for (const f of report.findings) lines.push(`- ${f}`);
    lines.push('');
  }

  const metrics = Object.entries(report.metrics);
  lines.push('### Latency (ms)', '');
  if (metrics.length === 0) lines.push('No latency samples.', '');
  else {
    lines.push('| metric | count | p50 | p90 | p99 | max |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, m] of metrics) {
      lines.push(
        `| ${cell(name)} | ${fig(m.count)} | ${fig(m.p50)} | ${fig(m.p90)} | ${fig(m.p99)} | ${fig(m.max)} |`,
      );
      // Tags the catalogue keeps apart (dispatch.latency main vs dlq) get a row each.
      for (const [key, values] of Object.entries(m.byTag ?? {})) {
        for (const [value, t] of Object.entries(values)) {
          lines.push(
            `| ${cell(`${name} ${key}=${value}`)} | ${fig(t.count)} | ${fig(t.p50)} | ${fig(t.p90)} | ${fig(t.p99)} | ${fig(t.max)} |`,
          );
        }
      }
    }
    lines.push('');
  }

  const counts = Object.entries(report.counts);
  if (counts.length > 0) {
    lines.push('### Counts', '', '| counter | total |', '| --- | ---: |');
    for (const [name, total] of counts) lines.push(`| ${cell(name)} | ${fig(total)} |`);
    if (report.errorRate !== null) lines.push(`| error rate | ${fig(report.errorRate)} |`);
    lines.push('');
  }

  // Long and rarely read first: folded, so the step summary stays short.
  const gauges = Object.entries(report.gauges);
  if (gauges.length === 0) lines.push('### Gauges', '', 'No gauge samples.', '');
  else {
    lines.push(`<details><summary>Gauges (${gauges.length})</summary>`, '');
    lines.push(
      '| gauge | min | mean | max | last | slope/min |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [name, g] of gauges) {
      const unit = metricEntry(name)?.unit;
      const q = (v: number) => formatQuantity(v, unit);
      const slope = g.slopePerMin === null ? '—' : formatPerMinute(g.slopePerMin, unit);
      lines.push(`| ${cell(name)} | ${q(g.min)} | ${q(g.mean)} | ${q(g.max)} | ${q(g.last)} | ${slope} |`);
    }
    lines.push('', '</details>', '');
  }

  if (report.stages) {
    lines.push('### Where the e2e time goes (steady window)', '');
    lines.push(
      '| stage | p50 ms | p99 ms | mean ms | share of e2e | source |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    for (const st of report.stages.stages) {
      const share = st.share === null ? '—' : `${fig(Math.round(st.share * 1000) / 10)}%`;
      const source = st.measured ? st.source : (st.reason ?? 'not measured');
      lines.push(
        `| ${cell(st.stage)} | ${opt(st.p50)} | ${opt(st.p99)} | ${opt(st.mean)} | ${share} | ${cell(source)} |`,
      );
    }
    lines.push('');
  }
  if (report.littlesLaw?.length) {
    lines.push("### Little's law (backlog vs λ·W)", '');
    lines.push('| stage | backlog | λ·W | ratio | note |', '| --- | ---: | ---: | ---: | --- |');
    for (const c of report.littlesLaw) {
      lines.push(
        `| ${cell(c.name)} | ${opt(c.backlog)} | ${opt(c.expected)} | ${opt(c.ratio)} | ${cell(c.note ?? (c.ok ? 'ok' : ''))} |`,
      );
    }
    lines.push('');
  }

  if (report.notes?.length) {
    lines.push('### Notes', '');
    for (const note of report.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function opt(n: number | null): string {
  return n === null ? '—' : formatFigure(n);
}

function fig(n: number): string {
  return formatFigure(n);
}

/** A table cell: pipes escaped, newlines flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
