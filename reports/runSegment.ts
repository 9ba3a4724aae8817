// A run folder's place in a segmented run, from its run.start: which share of the run it ran and
// whether it ran only the load (no collectors, no integrity check).
import type { RunStartWire } from '../record/runEvents.ts';
import { parseSegment } from '../record/segmentFraction.ts';

export interface RunSegment {
  segment: string;
  sequence?: string;
  loadOnly: boolean;
  /** The segment's folder, in a merged run's list. */
  folder?: string;
}

/** undefined for a one-process (or merged) run; throws SegmentError on a malformed segment. */
export function runSegmentOf(start: RunStartWire | undefined): RunSegment | undefined {
  if (start?.segment === undefined) return undefined;
  const [from] = parseSegment(start.segment);
  return {
    segment: start.segment,
    ...(start.segmentSequence !== undefined ? { sequence: start.segmentSequence } : {}),
    // Segment 0 runs the collectors unless run.start says otherwise (a separate coordinator).
    loadOnly: start.loadOnly ?? from.n > 0,
  };
}
