// junit.xml: one testcase per SLO, so CI systems show a failed objective like a failed test.
// No timestamps or hostnames: the same report renders the same bytes.
import type { ReportJson } from './reportJson.ts';

export function renderJunitReport(report: ReportJson): string {
  const failures = report.slos.filter((s) => !s.pass).length;
  const suite = `pipesoak.${report.run.scenario}`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="pipesoak" tests="${report.slos.length}" failures="${failures}" errors="0" time="${report.run.durationS}">`,
  );
  out.push(
    `  <testsuite name="${xml(suite)}" tests="${report.slos.length}" failures="${failures}" errors="0" skipped="0" time="${report.run.durationS}">`,
  );
  out.push('    <properties>');
  out.push(`      <property name="run.id" value="${xml(report.run.id)}"/>`);
  out.push(`      <property name="verdict" value="${report.verdict}"/>`);
  if (report.partial) out.push('      <property name="partial" value="true"/>');
  out.push('    </properties>');
  for (const s of report.slos) {
    const head = `    <testcase classname="${xml(suite)}" name="${xml(s.name)}" time="0"`;
    if (s.pass) {
      out.push(`${head}/>`);
      continue;
    }
    const observed = s.observed === null ? `none (${s.reason ?? 'no samples'})` : String(s.observed);
    const message = `objective ${s.objective}, observed ${observed}`;
    out.push(`${head}>`);
    out.push(
      `      <failure type="slo" message="${xml(message)}">${xml(s.reason ? `${message}; ${s.reason}` : message)}</failure>`,
    );
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}

/** XML text and attribute escaping; control characters XML 1.0 forbids are dropped. */
function xml(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the ones to drop
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}
