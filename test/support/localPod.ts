// Runs a pod's command line from the manifests on this machine, as the segment tests do: the
// cluster paths (the run-folder volume, the scenario ConfigMap) moved to local folders, the pod's
// working folder (the image's /app) a local one, and JOB_COMPLETION_INDEX set as Kubernetes sets it.
import { spawn } from 'node:child_process';
import { K8S_DEFAULTS } from '../../runner/k8s/k8sDefaults.ts';

export interface LocalPaths {
  /** Stands in for the claim mounted at /runs. */
  runsDir: string;
  /** Stands in for the ConfigMap mounted at /etc/pipesoak/scenario (holds the compiled bundle). */
  scenarioDir?: string;
  /** Stands in for the config file the ConfigMap mounts over the image's /app/<configFile>. */
  configPath?: string;
}

function moved(arg: string, from: string, to: string | undefined): string {
  if (to === undefined) return arg;
  if (arg === from) return to;
  return arg.startsWith(`${from}/`) ? `${to}${arg.slice(from.length)}` : arg;
}

/** The argv with every cluster path moved to its local stand-in. */
export function localPodArgv(argv: readonly string[], paths: LocalPaths): string[] {
  return argv.map((arg, i) =>
    paths.configPath !== undefined && argv[i - 1] === '--config'
      ? paths.configPath
      : moved(moved(arg, K8S_DEFAULTS.runsDir, paths.runsDir), K8S_DEFAULTS.scenarioDir, paths.scenarioDir),
  );
}

export interface PodResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the argv in `cwd` with JOB_COMPLETION_INDEX=index (when given) and waits for it to end. */
export function runPodLocally(
  argv: readonly string[],
  o: { cwd: string; index?: number | string; env?: Record<string, string> },
): Promise<PodResult> {
  const [cmd, ...rest] = argv;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...o.env };
  if (o.index !== undefined) env.JOB_COMPLETION_INDEX = String(o.index);
  const child = spawn(cmd as string, rest, { cwd: o.cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
