// What `compare` and `run --baseline` compare: a report.json file, or a run folder — its
// report.json, or, when the folder has none (a run that crashed before its reports), a report built
// from its logs. Every failure is a ReportFileError: one line naming the path.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordFormatError } from '../record/recordError.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import { ReportFileError, readReportJson } from './readReportJson.ts';
import type { ReportJson } from './reportJson.ts';
import { buildRunReport } from './runReport.ts';
import { RunFolderError } from './summarizeRunFolder.ts';

export async function readComparedReport(path: string): Promise<ReportJson> {
  if (!existsSync(path)) throw new ReportFileError(`${path}: file not found`);
  if (!statSync(path).isDirectory()) return readReportJson(path);
  const json = join(path, RUN_FILES.json);
  if (existsSync(json)) return readReportJson(json);
  if (!existsSync(join(path, RUN_FILES.series)))
    throw new ReportFileError(`${path}: not a run folder (no ${RUN_FILES.json} and no ${RUN_FILES.series})`);
  try {
    return await buildRunReport(path);
  } catch (err) {
    if (err instanceof RunFolderError || err instanceof RecordFormatError)
      throw new ReportFileError(err.message);
    throw err;
  }
}
