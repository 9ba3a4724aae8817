// Writes report.json, report.md, junit.xml and report.html into a run folder from its stored logs.
// Each file is written whole to a temporary name and renamed, so an interrupted render never leaves
// half a report.
import { join } from 'node:path';
import { RUN_FILES } from '../record/runFiles.ts';
import { writeAtomically } from '../record/writeAtomically.ts';
import { renderHtmlReport } from './htmlReport.ts';
import { renderJunitReport } from './junitReport.ts';
import { renderMarkdownReport } from './markdownReport.ts';
import { readRunFolder } from './readRunFolder.ts';
import type { ReportJson } from './reportJson.ts';
import { reportReading } from './runReport.ts';
import { timelineReading } from './runTimeline.ts';

export async function renderRunFolder(dir: string): Promise<ReportJson> {
  // One pass over the folder feeds both report.json and the page's timeline.
  const reportFolds = reportReading();
  const timelineFolds = timelineReading();
  const run = await readRunFolder(dir, [...reportFolds.folds, ...timelineFolds.folds]);
  const report = reportFolds.report(run);
  await write(RUN_FILES.json, `${JSON.stringify(report, null, 2)}\n`);
  await write(RUN_FILES.markdown, renderMarkdownReport(report));
  await write(RUN_FILES.junit, renderJunitReport(report));
  await write(RUN_FILES.html, renderHtmlReport(report, timelineFolds.timeline(run, report.slos)));
  return report;

  function write(file: string, text: string): Promise<number> {
    return writeAtomically([text], { path: join(dir, file), force: true });
  }
}
