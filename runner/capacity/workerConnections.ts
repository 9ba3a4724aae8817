// The most Postgres connections the worker alone held during a step's measured window, read from
// the step's series.ndjson (the pool collector's db.connections{application, state=all}). The
// report's db.connections summary folds every application together (the gateway's pool too), so
// it cannot say whether the swept worker pool held.
import { join } from 'node:path';
import { readLines } from '../../record/lineReader.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { RUN_FILES } from '../../record/runFiles.ts';

interface SeriesLine {
  t?: number;
  event?: string;
  warmUpMs?: number;
  gauge?: string;
  value?: number;
  tags?: Record<string, string>;
}

/** null when the series holds no sample of `application` after the warm-up. */
export async function workerConnectionsMax(runDir: string, application: string): Promise<number | null> {
  let steadyFrom = Number.POSITIVE_INFINITY;
  let max: number | null = null;
  for await (const line of readLines(join(runDir, RUN_FILES.series))) {
    let s: SeriesLine;
    try {
      s = JSON.parse(line.text) as SeriesLine;
    } catch {
      continue; // a cut last line: the samples before it stand
    }
    if (s.event === 'run.start' && typeof s.t === 'number') steadyFrom = s.t + (s.warmUpMs ?? 0);
    if (
      s.gauge === METRIC.dbConnections &&
      s.tags?.application === application &&
      s.tags.state === 'all' &&
      typeof s.t === 'number' &&
      s.t >= steadyFrom &&
      typeof s.value === 'number'
    ) {
      max = max === null ? s.value : Math.max(max, s.value);
    }
  }
  return max;
}
