// The fault windows of a run (fault.start … fault.end in series.ndjson), as a fold of the run-folder
// reader, for the timeline's shading and for recovery alike. A fault.start without an id is noted
// and left out; a fault.end closes the open window of its id.
import { EVENT, faultEndWire, faultStartWire } from '../record/runEvents.ts';
import type { SeriesRecord } from '../record/series.ts';
import type { RunFolderFold } from './readRunFolder.ts';

export interface LoggedFault {
  id: string;
  what: string;
  where: string;
  startMs: number;
  /** null when the run has no fault.end for it (the fault runner died or the run was cut short). */
  endMs: number | null;
}

export class FaultLog implements RunFolderFold {
  /** In the order they started. */
  readonly faults: LoggedFault[] = [];
  readonly notes: string[] = [];
  private readonly open = new Map<string, LoggedFault>();

  record(record: SeriesRecord, line: number): void {
    if (!('event' in record)) return;
    if (record.event === EVENT.faultStart) {
      const start = faultStartWire.safeParse(record);
      if (!start.success) {
        this.notes.push(`series.ndjson line ${line}: a fault.start without an id, not shaded`);
        return;
      }
      const { id, what, where, t } = start.data;
      const fault: LoggedFault = { id, what, where, startMs: t, endMs: null };
      this.faults.push(fault);
      this.open.set(id, fault);
    } else if (record.event === EVENT.faultEnd) {
      const end = faultEndWire.safeParse(record);
      const fault = end.success ? this.open.get(end.data.id) : undefined;
      if (end.success && fault !== undefined) {
        fault.endMs = end.data.t;
        this.open.delete(end.data.id);
      }
    }
  }
}
