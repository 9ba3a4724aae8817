// Reads a report.json and checks it against pipesoak.report/v1, so compare never does arithmetic
// on a file that only looks like a report. Failures are one line naming the file.
import { readFileSync } from 'node:fs';
import { type ReportJson, reportJsonSchema } from './reportJson.ts';

export class ReportFileError extends Error {
  override readonly name = 'ReportFileError';
}

export function readReportJson(path: string): ReportJson {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReportFileError(`${path}: ${code === 'ENOENT' ? 'file not found' : `unreadable (${code})`}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ReportFileError(`${path}: not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const parsed = reportJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'document';
    throw new ReportFileError(
      `${path}: not a pipesoak.report/v1 report: ${field}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
