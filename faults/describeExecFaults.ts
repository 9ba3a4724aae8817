// The lines printed before a run with exec faults: every command that will run on this machine,
// when, and how long it may take, so nobody is surprised by what `--allow-exec-faults` allowed.
import { formatDuration } from '../record/duration.ts';
import type { ExecFaultWindow, FaultSchedule } from './faultSchedule.ts';

export function describeExecFaults(schedule: FaultSchedule): string[] {
  const windows = schedule.faults.filter((w): w is ExecFaultWindow => w.what === 'exec');
  if (windows.length === 0) return [];
  const lines = [
    `exec faults: ${windows.length} window${windows.length === 1 ? '' : 's'} will run commands on this machine`,
  ];
  for (const w of windows) {
    lines.push(
      `  ${w.id} (${w.where}): at ${formatDuration(w.at)} for ${formatDuration(w.for)}, each command killed after ${formatDuration(w.timeout)}`,
    );
    lines.push(`    start: ${w.start}`);
    lines.push(`    end:   ${w.end ?? '(none)'}`);
  }
  return lines;
}
