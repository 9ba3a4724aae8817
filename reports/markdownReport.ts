// report.md: the run at a glance, fit for a GitHub step summary: verdict, SLOs, latencies,
// gauges, integrity, notes. Plain GitHub-flavoured Markdown tables, nothing that needs a network.
import type { ReportJson } from './reportJson.ts';
import { formatShare, formatReportNumber as num } from './reportNumbers.ts';

export function renderMarkdownReport(report: ReportJson): string {
  const lines: string[] = [];
  const verdict = report.verdict === 'pass' ? '✅ pass' : '❌ fail';
  lines.push(
    `## pipesoak · ${cell(report.run.scenario)} · ${verdict}${report.partial ? ' (partial run)' : ''}`,
    '',
  );
  lines.push(
    `Run \`${cell(report.run.id)}\` started ${report.run.startedAt}, ${num(report.run.durationS)} s` +
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

  if (report.findings?.length) {
    lines.push('### Findings', '');
    for (const f of report.findings) lines.push(`- ${f}`);
    lines.push('');
  }

  const failed = report.slos.filter((s) => !s.pass).length;
  lines.push(`### SLOs (${report.slos.length - failed}/${report.slos.length} pass)`, '');
  lines.push('| | SLO | objective | observed | note |', '| --- | --- | --- | --- | --- |');
  for (const s of report.slos) {
    const unit = s.objective.endsWith(' ms') ? ' ms' : '';
    const observed = s.observed === null ? '—' : `${num(s.observed)}${unit}`;
    lines.push(
      `| ${s.pass ? '✅' : '❌'} | ${cell(s.name)} | ${cell(s.objective)} | ${observed} | ${cell(s.reason ?? '')} |`,
    );
  }
  lines.push('');

  const metrics = Object.entries(report.metrics);
  lines.push('### Latency (ms)', '');
  if (metrics.length === 0) lines.push('No latency samples.', '');
  else {
    lines.push('| metric | count | p50 | p90 | p99 | max |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, m] of metrics) {
      lines.push(
        `| ${cell(name)} | ${m.count} | ${num(m.p50)} | ${num(m.p90)} | ${num(m.p99)} | ${num(m.max)} |`,
      );
      // Tags the catalogue keeps apart (dispatch.latency main vs dlq) get a row each.
      for (const [key, values] of Object.entries(m.byTag ?? {})) {
        for (const [value, t] of Object.entries(values)) {
          lines.push(
            `| ${cell(`${name} ${key}=${value}`)} | ${t.count} | ${num(t.p50)} | ${num(t.p90)} | ${num(t.p99)} | ${num(t.max)} |`,
          );
        }
      }
    }
    lines.push('');
  }

  const counts = Object.entries(report.counts);
  if (counts.length > 0) {
    lines.push('### Counts', '', '| counter | total |', '| --- | ---: |');
    for (const [name, total] of counts) lines.push(`| ${cell(name)} | ${num(total)} |`);
    if (report.errorRate !== null) lines.push(`| error rate | ${num(report.errorRate)} |`);
    lines.push('');
  }

  const gauges = Object.entries(report.gauges);
  lines.push('### Gauges', '');
  if (gauges.length === 0) lines.push('No gauge samples.', '');
  else {
    lines.push(
      '| gauge | min | mean | max | last | slope/min |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [name, g] of gauges) {
      const slope = g.slopePerMin === null ? '—' : num(g.slopePerMin);
      lines.push(
        `| ${cell(name)} | ${num(g.min)} | ${num(g.mean)} | ${num(g.max)} | ${num(g.last)} | ${slope} |`,
      );
    }
    lines.push('');
  }

  if (report.stages) {
    lines.push('### Where the e2e time goes (steady window)', '');
    lines.push(
      '| stage | p50 ms | p99 ms | mean ms | share of e2e | source |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    for (const st of report.stages.stages) {
      const share = st.share === null ? '—' : formatShare(st.share);
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

  if (report.notes?.length) {
    lines.push('### Notes', '');
    for (const note of report.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function opt(n: number | null): string {
  return n === null ? '—' : num(n);
}

/** A table cell: pipes escaped, newlines flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
