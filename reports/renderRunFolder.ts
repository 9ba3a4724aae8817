// Writes report.json, report.md and junit.xml into a run folder from its stored logs. Each file is
// written whole to a temporary name and renamed, so an interrupted render never leaves half a report.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJunitReport } from './junitReport.ts';
import { renderMarkdownReport } from './markdownReport.ts';
import type { ReportJson } from './reportJson.ts';
import { buildRunReport } from './runReport.ts';
import { RUN_FILES } from './summarizeRunFolder.ts';

export async function renderRunFolder(dir: string): Promise<ReportJson> {
  const report = await buildRunReport(dir);
  writeAtomically(join(dir, RUN_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
  writeAtomically(join(dir, RUN_FILES.markdown), renderMarkdownReport(report));
  writeAtomically(join(dir, RUN_FILES.junit), renderJunitReport(report));
  return report;
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
