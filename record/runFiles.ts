// The files of a run folder (DESIGN section 4), named once: the engine, collectors, faults and the
// runner write them; reports read them back.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_FILES = {
  series: 'series.ndjson',
  collectorsHlog: 'collectors.hlog',
  loadHlog: 'load.hlog',
  json: 'report.json',
  markdown: 'report.md',
  junit: 'junit.xml',
  html: 'report.html',
  /** The engine's bitmap of accepted iteration indices. */
  accepted: 'accepted.bits',
  /** One line per accepted request, by correlation id (record/acceptedLog.ts); faults still use it. */
  acceptedLog: 'accepted.ndjson',
  /** As acceptedLog, for requests whose outcome the generator could not tell. */
  uncertainLog: 'uncertain.ndjson',
  /** Accepted ids neither completed nor dead-lettered, one a line (the integrity check). */
  lost: 'lost.txt',
  /** Ids whose side effect applied more than once, one a line. */
  duplicated: 'duplicated.txt',
} as const;

/** The run's HdrHistogram logs that exist: collectors.hlog, then load.hlog (absent without load). */
export function runHlogPaths(dir: string): string[] {
  return [RUN_FILES.collectorsHlog, RUN_FILES.loadHlog].map((f) => join(dir, f)).filter((p) => existsSync(p));
}
