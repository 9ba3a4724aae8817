// Merges HdrHistogram interval logs exactly: the logs are read side by side in start order, and the
// intervals of one (tag, start, length), one per segment when the segments share a start instant,
// are added into one histogram (HDR addition loses nothing: every count stays in its bucket).
// Intervals that do not line up are written as they are; readers add intervals of a tag anyway, so
// either way every percentile of the merged log is that of all the values in one histogram.
// Adding aligned intervals keeps the merged log the size of one segment's and its timeline honest.

import { HistogramSnapshot } from '../record/histogramSnapshot.ts';
import { type EncodedHlogInterval, HlogWriter, readEncodedHlogIntervals } from '../record/hlog.ts';
import type { CutTailOptions } from '../record/lineReader.ts';

interface Head {
  next: AsyncIterator<EncodedHlogInterval>;
  interval: EncodedHlogInterval | undefined;
}

const ms = (s: number) => Math.round(s * 1000);

/** Writes the merge of `paths` to `outPath`, timestamps relative to `baseTimeMs`; returns intervals written. */
export async function mergeHlogFiles(
  paths: readonly string[],
  outPath: string,
  baseTimeMs: number,
  cutTail: CutTailOptions = {},
): Promise<number> {
  const heads: Head[] = [];
  for (const path of paths) {
    const next = readEncodedHlogIntervals(path, cutTail)[Symbol.asyncIterator]();
    heads.push({ next, interval: (await next.next()).value ?? undefined });
  }
  const writer = HlogWriter.open(outPath, baseTimeMs);
  let written = 0;
  try {
    for (;;) {
      let startMs = Number.POSITIVE_INFINITY;
      for (const h of heads) if (h.interval !== undefined) startMs = Math.min(startMs, ms(h.interval.startS));
      if (startMs === Number.POSITIVE_INFINITY) break;
      // Every interval starting at this instant, from every log, grouped by tag and length in the
      // order first seen, so the output keeps the inputs' order.
      const groups = new Map<string, { tag: string; lengthMs: number; snapshot: HistogramSnapshot }>();
      for (const h of heads) {
        while (h.interval !== undefined && ms(h.interval.startS) === startMs) {
          const { tag, lengthS, bytes } = h.interval;
          const lengthMs = ms(lengthS);
          const key = `${tag}\u0000${lengthMs}`;
          const snapshot = HistogramSnapshot.decode(bytes.toString('base64'));
          const group = groups.get(key);
          if (group === undefined) groups.set(key, { tag, lengthMs, snapshot });
          else group.snapshot.merge(snapshot);
          h.interval = (await h.next.next()).value ?? undefined;
        }
      }
      for (const { tag, lengthMs, snapshot } of groups.values()) {
        writer.writeInterval(tag, startMs, startMs + lengthMs, snapshot);
        written++;
      }
    }
  } finally {
    writer.close();
  }
  return written;
}
