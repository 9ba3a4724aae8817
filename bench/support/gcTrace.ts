// A summary of V8's `--trace-gc-nvp` lines per isolate (the engine's main thread and each worker):
// scavenges, their pauses and what each promoted, and the mark-compacts. A scavenge that promotes
// megabytes when little is in flight means something keeps dead objects reachable from old space
// (a Map's rehash chain, a per-object hidden class), which is what the worker's pauses showed.

export interface IsolateGc {
  isolate: string;
  scavenges: number;
  scavengePauseMs: number;
  maxScavengePauseMs: number;
  promotedBytesPerScavenge: number;
  markCompacts: number;
  markCompactPauseMs: number;
}

/**
 * Lines that are not GC lines are skipped, and so is a GC line without its `[pid:isolate]` prefix
 * (V8 prints prefix and body in two calls, so threads collecting at once can split them); isolates
 * are listed by their scavenge count, most first.
 */
export function summariseGcTrace(text: string): IsolateGc[] {
  const byIsolate = new Map<string, IsolateGc & { promoted: number }>();
  for (const line of text.split('\n')) {
    const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1];
    if (isolate === undefined || !line.includes(' gc=')) continue;
    const field = (name: string): string | undefined => new RegExp(`(?:^| )${name}=(\\S+)`).exec(line)?.[1];
    let s = byIsolate.get(isolate);
    if (s === undefined) {
      s = {
        isolate,
        scavenges: 0,
        scavengePauseMs: 0,
        maxScavengePauseMs: 0,
        promotedBytesPerScavenge: 0,
        markCompacts: 0,
        markCompactPauseMs: 0,
        promoted: 0,
      };
      byIsolate.set(isolate, s);
    }
    const pause = Number(field('pause') ?? 0);
    if (field('gc') === 's') {
      s.scavenges++;
      s.scavengePauseMs += pause;
      s.maxScavengePauseMs = Math.max(s.maxScavengePauseMs, pause);
      s.promoted += Number(field('promoted') ?? 0);
    } else {
      s.markCompacts++;
      s.markCompactPauseMs += pause;
    }
  }
  return [...byIsolate.values()]
    .map(({ promoted, ...s }) => ({
      ...s,
      promotedBytesPerScavenge: s.scavenges > 0 ? promoted / s.scavenges : 0,
    }))
    .sort((a, b) => b.scavenges - a.scavenges);
}

export function formatIsolateGc(s: IsolateGc): string {
  return (
    `isolate ${s.isolate}: ${s.scavenges} scavenges, ${s.scavengePauseMs.toFixed(0)} ms paused (max ${s.maxScavengePauseMs.toFixed(1)} ms), ` +
    `${(s.promotedBytesPerScavenge / 1024).toFixed(0)} KB promoted per scavenge; ${s.markCompacts} mark-compacts, ${s.markCompactPauseMs.toFixed(0)} ms`
  );
}
