// Writes report.json, report.md, junit.xml and report.html into a run folder from its stored logs.
// Each file is written whole to a temporary name and renamed, so an interrupted render never leaves
// half a report.
import { join } from 'node:path';
import { RUN_FILES } from '../record/runFiles.ts';
import { writeAtomically } from '../record/writeAtomically.ts';
import { renderHtmlReport } from './htmlReport.ts';
import { renderJunitReport } from './junitReport.ts';
import { renderMarkdownReport } from './markdownReport.ts';
import type { ReportJson } from './reportJson.ts';
import { buildRunReport } from './runReport.ts';
import { runTimeline } from './runTimeline.ts';

export async function renderRunFolder(dir: string): Promise<ReportJson> {
  const report = await buildRunReport(dir);
  await write(RUN_FILES.json, `${JSON.stringify(report, null, 2)}\n`);
  await write(RUN_FILES.markdown, renderMarkdownReport(report));
  await write(RUN_FILES.junit, renderJunitReport(report));
  await write(RUN_FILES.html, renderHtmlReport(report, await runTimeline(dir, report.run, report.slos)));
  return report;

  function write(file: string, text: string): Promise<number> {
    return writeAtomically([text], { path: join(dir, file), force: true });
  }
}
