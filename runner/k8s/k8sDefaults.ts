// Every default of `pipesoak k8s` and the manifests it writes, in one place.

export const K8S_DEFAULTS = {
  /** `docker build -t pipesoak:0.1.0 .` from the repo root (see Dockerfile); push it where the cluster pulls. */
  image: 'pipesoak:0.1.0',
  /** The file written into --out. */
  manifestFile: 'pipesoak-k8s.yaml',
  /** The shared start instant is this far after the manifests are written: time to pull and schedule. */
  startDelayMs: 2 * 60_000,
  /** The run-folder volume, when no existing claim is named. */
  storageSize: '10Gi',
  /** Working directory of the image (Dockerfile WORKDIR); the config's relative imports resolve here. */
  appDir: '/app',
  /** Where the ConfigMap's scenario bundle and source map are mounted. */
  scenarioDir: '/etc/pipesoak/scenario',
  /** Where the run-folder volume is mounted; each run writes into <runsDir>/<runId>. */
  runsDir: '/runs',
  /** The merge pod polls for the segments' exit files this often. */
  pollSeconds: 10,
  /** Beyond the run's own length (start delay + duration + drain + graceful stop), how long segments may take. */
  segmentSlackSeconds: 5 * 60,
  /** ...and how long the merge may wait and run: after the segments' deadline, so it merges what they left. */
  mergeSlackSeconds: 15 * 60,
  /** A segment told to stop (deadline, deletion) writes its partial report in this time. */
  terminationGraceSeconds: 60,
  /** The engine's gracefulStop (DESIGN section 5), part of how long a segment can take. */
  gracefulStopSeconds: 30,
  /** A load generator: whole CPUs so it is not throttled; requests = limits (Guaranteed QoS). */
  segmentResources: {
    requests: { cpu: '1', memory: '1Gi' },
    limits: { cpu: '1', memory: '1Gi' },
  },
  /** Merging reads the segments' interval logs; a fraction of a CPU does it. */
  mergeResources: {
    requests: { cpu: '250m', memory: '256Mi' },
    limits: { cpu: '1', memory: '1Gi' },
  },
  /** The `node` user of the node:20 images. */
  uid: 1000,
  /** kubectl and the API server cap a ConfigMap at 1 MiB of data. */
  configMapMaxBytes: 1024 * 1024,
} as const;
