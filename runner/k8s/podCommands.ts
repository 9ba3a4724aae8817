// The command lines of the pods, as argv arrays. The segment pods are Indexed Job pods: a small
// POSIX shell wrapper turns JOB_COMPLETION_INDEX into `--segment i/N:(i+1)/N`, since the Kubernetes
// `$(VAR)` substitution in args cannot do arithmetic. Every fixed value is passed to the wrapper as
// a positional argument, never pasted into the script, so no value needs shell quoting. The same
// argv runs locally (cwd = the repo, JOB_COMPLETION_INDEX set by hand), which is how the segment
// test exercises it.

/** Where a segment's exit code is written, so the merge pod knows it ended (well or not). */
export function segmentExitFile(runDir: string, index: number | string): string {
  return `${runDir}/status/segment-${index}.exit`;
}

export function segmentDir(runDir: string, index: number): string {
  return `${runDir}/segment-${index}`;
}

/** k6's sequence syntax for N equal segments: `0,1/3,2/3,1`. */
export function segmentSequence(parallelism: number): string {
  const points = ['0'];
  for (let i = 1; i < parallelism; i++) points.push(`${i}/${parallelism}`);
  points.push('1');
  return points.join(',');
}

/** The segment one index runs, exactly as the wrapper computes it (for tests and docs). */
export function segmentOf(index: number, parallelism: number): string {
  return `${index}/${parallelism}:${index + 1}/${parallelism}`;
}

// Exit 1 means the segment ran to its end and its own SLOs failed. The segment pod reports success
// then: a failed pod fails the whole Job (backoffLimit 0), and Kubernetes would stop the segments
// still running. The verdict that counts is the merged one; the real code stays in the exit file.
// SIGTERM (pod deletion, node drain) is passed on to pipesoak so it writes its partial report.
const SEGMENT_SCRIPT = `n="$1"; run="$2"; shift 2
i="\${JOB_COMPLETION_INDEX:-}"
case "$i" in ''|*[!0-9]*) echo "pipesoak segment: JOB_COMPLETION_INDEX is '$i', not an index (run this as an Indexed Job pod)" >&2; exit 2;; esac
if [ "$i" -ge "$n" ]; then echo "pipesoak segment: JOB_COMPLETION_INDEX $i is not below the $n segments" >&2; exit 2; fi
mkdir -p "$run/status"
node runner/pipesoak.mjs run "$@" --segment "$i/$n:$((i + 1))/$n" --out "$run/segment-$i" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
while :; do wait "$child"; rc=$?; kill -0 "$child" 2>/dev/null || break; done
echo "$rc" > "$run/status/segment-$i.exit"
echo "pipesoak segment $i/$n: pipesoak run exited $rc"
if [ "$rc" -eq 1 ]; then exit 0; fi
exit "$rc"`;

export interface SegmentCommandOptions {
  parallelism: number;
  /** The compiled scenario bundle (.mjs), as the pod sees it. */
  bundlePath: string;
  configPath: string;
  startAt: string;
  /** Shared by every segment: the correlation ids `<runId>-<k>` and the merge's same-run check. */
  runId: string;
  /** <runs>/<runId>: the segments write segment-<i>/ and status/ in it. */
  runDir: string;
  /** More `pipesoak run` flags (--rate, --duration). */
  runArgs: readonly string[];
}

/** argv of a segment pod; runs in the pipesoak folder with JOB_COMPLETION_INDEX set. */
export function segmentCommand(o: SegmentCommandOptions): string[] {
  return [
    '/bin/sh',
    '-c',
    SEGMENT_SCRIPT,
    'pipesoak-segment',
    String(o.parallelism),
    o.runDir,
    o.bundlePath,
    '--segment-sequence',
    segmentSequence(o.parallelism),
    '--start-at',
    o.startAt,
    '--run-id',
    o.runId,
    '--config',
    o.configPath,
    ...o.runArgs,
  ];
}

// Kubernetes has no dependencies between Jobs, so the merge pod's init container waits until every
// segment has written its exit file. A segment pod that vanished without one (node lost, OOM kill)
// leaves it waiting until the merge Job's activeDeadlineSeconds ends it.
const AWAIT_SCRIPT = `n="$1"; run="$2"; poll="$3"
while :; do
  ended=0; i=0
  while [ "$i" -lt "$n" ]; do
    if [ -f "$run/status/segment-$i.exit" ]; then ended=$((ended + 1)); fi
    i=$((i + 1))
  done
  if [ "$ended" -eq "$n" ]; then break; fi
  echo "pipesoak merge: $ended of $n segments ended; waiting"
  sleep "$poll"
done
i=0
while [ "$i" -lt "$n" ]; do
  echo "pipesoak merge: segment $i exited $(cat "$run/status/segment-$i.exit")"
  i=$((i + 1))
done`;

/** argv of the merge pod's init container: returns once all N segments have ended. */
export function awaitSegmentsCommand(o: {
  parallelism: number;
  runDir: string;
  pollSeconds: number;
}): string[] {
  return [
    '/bin/sh',
    '-c',
    AWAIT_SCRIPT,
    'pipesoak-await-segments',
    String(o.parallelism),
    o.runDir,
    String(o.pollSeconds),
  ];
}

/**
 * argv of the merge container: the N segment folders, by name, into <runDir>/merged, with the config
 * so that integrity is checked again over every segment's accepted ids (segment 0 saw its own only).
 */
export function mergeCommand(o: { parallelism: number; runDir: string; configPath: string }): string[] {
  const dirs = Array.from({ length: o.parallelism }, (_, i) => segmentDir(o.runDir, i));
  return [
    'node',
    'runner/pipesoak.mjs',
    'merge',
    ...dirs,
    '--out',
    `${o.runDir}/merged`,
    '--config',
    o.configPath,
  ];
}
