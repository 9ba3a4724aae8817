// `pipesoak merge`: the run folders of one run's segments (one process each) into one run folder
// whose reports are those of a single run. Checks first that the folders are one run: the same run
// id and scenario in run.start, segments tiling [0,1], exactly one segment that ran the collectors.
// Then: load.hlog added exactly (reports/mergeHlogs.ts), series.ndjson merged with counters summed
// (reports/mergeSeries.ts), collectors.hlog, lost.txt and duplicated.txt from the collector segment,
// accepted.bits unioned, accepted/uncertain logs concatenated, and the reports rendered.

import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AcceptedBitmapWriter, readAcceptedBitmap } from '../record/acceptedBitmap.ts';
import { type CutTail, type CutTailOptions, SKIP_CUT_TAIL } from '../record/lineReader.ts';
import { EVENT, type RunEndWire, type RunStartWire, runEndWire, runStartWire } from '../record/runEvents.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import { SegmentError } from '../record/segmentFraction.ts';
import { readSeriesRecords } from '../record/series.ts';
import { mergeHlogFiles } from './mergeHlogs.ts';
import { MergeInputError } from './mergeInputError.ts';
import { mergeSeriesFiles } from './mergeSeries.ts';
import { renderRunFolder } from './renderRunFolder.ts';
import type { ReportJson } from './reportJson.ts';
import { type RunSegment, runSegmentOf } from './runSegment.ts';
import { orderSegments } from './segmentTiling.ts';

export { MergeInputError } from './mergeInputError.ts';

export interface MergeOptions {
  /** The segment run folders, in any order. */
  dirs: readonly string[];
  /** The merged run folder; created, and must not hold files already. */
  out: string;
}

export interface MergeResult {
  out: string;
  report: ReportJson;
  /** The parts in segment order, as the merged run.start lists them. */
  segments: RunSegment[];
  /** Lines cut off mid-write in a segment (left out); the merged run.end says interrupted. */
  cuts: CutTail[];
}

interface Part {
  folder: string;
  dir: string;
  start: RunStartWire;
  end: RunEndWire | undefined;
  segment: string;
  sequence?: string;
  loadOnly: boolean;
}

const WHOLE_RUN = '0:1';

export async function mergeRunFolders(options: MergeOptions): Promise<MergeResult> {
  const cuts: CutTail[] = [];
  const cutTail: CutTailOptions = { onCutTail: (cut) => cuts.push(cut) };
  const seen = new Map<string, string>();
  const parts: Part[] = [];
  for (const folder of options.dirs) {
    const again = seen.get(resolve(folder));
    if (again !== undefined) throw new MergeInputError(`${folder}: given twice (as ${again})`);
    seen.set(resolve(folder), folder);
    parts.push(await readPart(folder, cutTail));
  }
  const ordered = orderSegments(parts);
  const first = ordered[0] as Part;
  for (const p of ordered) {
    if (p.start.id !== first.start.id) {
      throw new MergeInputError(
        `run ids differ: ${first.folder} is run "${first.start.id}", ${p.folder} is run "${p.start.id}"`,
      );
    }
    if (p.start.scenario !== first.start.scenario) {
      throw new MergeInputError(
        `scenarios differ: ${first.folder} ran "${first.start.scenario}", ${p.folder} ran "${p.start.scenario}"`,
      );
    }
  }
  const coordinators = ordered.filter((p) => !p.loadOnly);
  if (coordinators.length !== 1) {
    throw new MergeInputError(
      coordinators.length === 0
        ? 'no folder ran the collectors (every run.start is a load-only segment): nothing measured the pipeline'
        : `more than one folder ran the collectors (${coordinators.map((p) => p.folder).join(', ')}): only segment 0 or the coordinator may`,
    );
  }
  const coordinator = coordinators[0] as Part;
  requireFile(coordinator, RUN_FILES.collectorsHlog, 'the segment that ran the collectors');
  const withBits = ordered.filter((p) => existsSync(join(p.dir, RUN_FILES.accepted)));
  if (withBits.length > 0 && withBits.length < ordered.length) {
    const without = ordered.find((p) => !withBits.includes(p)) as Part;
    requireFile(without, RUN_FILES.accepted, `a segment when ${withBits[0]?.folder} has one`);
  }
  await prepareOut(options.out);

  const startMs = coordinator.start.t;
  await mergeHlogFiles(
    ordered.map((p) => join(p.dir, RUN_FILES.loadHlog)),
    join(options.out, RUN_FILES.loadHlog),
    startMs,
    cutTail,
  );
  await copyFile(
    join(coordinator.dir, RUN_FILES.collectorsHlog),
    join(options.out, RUN_FILES.collectorsHlog),
  );
  for (const file of [RUN_FILES.lost, RUN_FILES.duplicated]) {
    if (existsSync(join(coordinator.dir, file)))
      await copyFile(join(coordinator.dir, file), join(options.out, file));
  }
  for (const file of [RUN_FILES.acceptedLog, RUN_FILES.uncertainLog])
    await concatenate(ordered, file, options.out);
  if (withBits.length > 0) unionAcceptedBits(ordered, coordinator.start.id, options.out);

  const segments: RunSegment[] = ordered.map((p) => ({
    segment: p.segment,
    loadOnly: p.loadOnly,
    folder: p.folder,
  }));
  const {
    t: _t,
    event: _event,
    segment: _s,
    segmentSequence: _q,
    loadOnly: _l,
    segments: _p,
    ...start
  } = coordinator.start;
  await mergeSeriesFiles({
    parts: ordered.map((p) => ({
      path: join(p.dir, RUN_FILES.series),
      segment: p.segment,
      collectors: !p.loadOnly,
    })),
    outPath: join(options.out, RUN_FILES.series),
    runStart: { t: startMs, ...start, segments },
    ...(coordinator.end !== undefined ? { runEnd: runEnd(ordered, cuts) } : {}),
    // readPart has noted the series' cut lines already.
    cutTail: SKIP_CUT_TAIL,
  });
  const report = await renderRunFolder(options.out);
  return { out: options.out, report, segments, cuts };
}

async function readPart(folder: string, cutTail: CutTailOptions): Promise<Part> {
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new MergeInputError(`${folder}: no such run folder`);
  const seriesPath = join(folder, RUN_FILES.series);
  const part = { folder, dir: folder };
  requireFile(part, RUN_FILES.series, 'a run folder');
  requireFile(part, RUN_FILES.loadHlog, 'a segment folder (it holds the load)');
  let start: RunStartWire | undefined;
  let end: RunEndWire | undefined;
  for await (const record of readSeriesRecords(seriesPath, cutTail)) {
    if (!('event' in record)) continue;
    const wire =
      record.event === EVENT.runStart ? runStartWire : record.event === EVENT.runEnd ? runEndWire : null;
    if (wire === null) continue;
    const parsed = wire.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MergeInputError(
        `${seriesPath}: ${record.event} field "${issue?.path.join('.')}": ${issue?.message}`,
      );
    }
    if (record.event === EVENT.runStart) start ??= parsed.data as RunStartWire;
    else end = parsed.data as RunEndWire;
  }
  if (start === undefined)
    throw new MergeInputError(`${seriesPath}: no run.start event, so no run id or segment`);
  if (start.segments !== undefined) throw new MergeInputError(`${folder}: already a merged run folder`);
  let segment: RunSegment | undefined;
  try {
    segment = runSegmentOf(start);
  } catch (err) {
    if (err instanceof SegmentError)
      throw new MergeInputError(`${seriesPath}: run.start segment: ${err.message}`);
    throw err;
  }
  return {
    ...part,
    start,
    end,
    segment: segment?.segment ?? WHOLE_RUN,
    ...(segment?.sequence !== undefined ? { sequence: segment.sequence } : {}),
    loadOnly: segment?.loadOnly ?? false,
  };
}

function requireFile(part: { folder: string; dir: string }, file: string, what: string): void {
  if (!existsSync(join(part.dir, file)))
    throw new MergeInputError(`${part.folder}: ${file} is missing (${what} holds one)`);
}

async function prepareOut(out: string): Promise<void> {
  if (existsSync(out)) {
    if (!(await stat(out)).isDirectory())
      throw new MergeInputError(`--out ${out}: exists and is not a folder`);
    if ((await readdir(out)).length > 0) throw new MergeInputError(`--out ${out}: already holds files`);
  }
  await mkdir(out, { recursive: true });
}

/** The run ends when its last segment does; it is interrupted when any segment was or was cut. */
function runEnd(
  parts: readonly Part[],
  cuts: readonly CutTail[],
): { t: number; interrupted: boolean; reason?: string } {
  const reasons: string[] = [];
  let t = Number.NEGATIVE_INFINITY;
  for (const p of parts) {
    if (p.end === undefined) reasons.push(`${p.folder} did not end`);
    else {
      t = Math.max(t, p.end.t);
      if (p.end.interrupted)
        reasons.push(`${p.folder} was interrupted${p.end.reason ? `: ${p.end.reason}` : ''}`);
    }
  }
  for (const c of cuts) reasons.push(`${c.source} line ${c.line} was cut off mid-write`);
  return reasons.length === 0
    ? { t, interrupted: false }
    : { t, interrupted: true, reason: reasons.join('; ') };
}

/** Appends each segment's file in turn, streamed (an accepted log grows with the run). */
async function concatenate(parts: readonly Part[], file: string, out: string): Promise<void> {
  const present = parts.filter((p) => existsSync(join(p.dir, file)));
  if (present.length === 0) return;
  const target = createWriteStream(join(out, file));
  try {
    for (const p of present) {
      let last = 0x0a;
      await pipeline(
        createReadStream(join(p.dir, file)),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
            yield chunk;
          }
          // A segment that stopped mid-line must not glue its cut line onto the next segment's first.
          if (last !== 0x0a) yield Buffer.from('\n');
        },
        target,
        { end: false },
      );
    }
  } finally {
    await new Promise<void>((done, fail) => target.end((err?: Error | null) => (err ? fail(err) : done())));
  }
}

function unionAcceptedBits(parts: readonly Part[], runId: string, out: string): void {
  const writer = new AcceptedBitmapWriter(join(out, RUN_FILES.accepted), runId);
  try {
    for (const p of parts) {
      const path = join(p.dir, RUN_FILES.accepted);
      let bitmap: ReturnType<typeof readAcceptedBitmap>;
      try {
        bitmap = readAcceptedBitmap(path);
      } catch (err) {
        throw new MergeInputError((err as Error).message);
      }
      if (bitmap.runId !== runId)
        throw new MergeInputError(`${path}: bitmap of run "${bitmap.runId}", not "${runId}"`);
      for (const k of bitmap.indices()) writer.mark(k);
    }
  } finally {
    writer.close();
  }
}
