// Writes report.json, report.md, junit.xml and report.html into a run folder from its stored logs.
// Each file is written whole to a temporary name and renamed, so an interrupted render never leaves
// half a report.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HTML_REPORT_FILE, renderHtmlReport } from './htmlReport.ts';
import { renderJunitReport } from './junitReport.ts';
import { renderMarkdownReport } from './markdownReport.ts';
import type { ReportJson } from './reportJson.ts';
import { buildRunReport } from './runReport.ts';
import { runTimeline } from './runTimeline.ts';
import { RUN_FILES } from './summarizeRunFolder.ts';

export async function renderRunFolder(dir: string): Promise<ReportJson> {
  const report = await buildRunReport(dir);
  writeAtomically(join(dir, RUN_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
  writeAtomically(join(dir, RUN_FILES.markdown), renderMarkdownReport(report));
  writeAtomically(join(dir, RUN_FILES.junit), renderJunitReport(report));
  writeAtomically(join(dir, HTML_REPORT_FILE), renderHtmlReport(report, await runTimeline(dir, report.run)));
  return report;
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
