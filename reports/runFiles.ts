// The files of a run folder (DESIGN section 4), named once: collectors and the runner write them,
// reports and the recovery analysis read them back.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_FILES = {
  series: 'series.ndjson',
  collectorsHlog: 'collectors.hlog',
  k6Hlog: 'k6.hlog',
  json: 'report.json',
  markdown: 'report.md',
  junit: 'junit.xml',
  html: 'report.html',
} as const;

/** The run's HdrHistogram logs that exist: collectors.hlog, then k6.hlog (absent without k6). */
export function runHlogPaths(dir: string): string[] {
  return [RUN_FILES.collectorsHlog, RUN_FILES.k6Hlog].map((f) => join(dir, f)).filter((p) => existsSync(p));
}
