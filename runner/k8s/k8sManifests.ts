// The Kubernetes objects of one distributed run (DESIGN section 6), as plain objects: a ConfigMap
// with the scenario bundle and the config, a volume claim for the run folders, an Indexed Job whose
// pod i runs segment i/N:(i+1)/N from one shared start instant, and a merge Job that waits for the
// segments and merges their folders. Pure: the same options give the same objects.
// The types come from kubernetes-models (the Kubernetes OpenAPI), so a misspelt field fails the
// typecheck; tests validate the objects against its JSON schemas as well.
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { redactUrl } from '../../record/redact.ts';
import { UsageError } from '../usageError.ts';
import { K8S_DEFAULTS } from './k8sDefaults.ts';
import { awaitSegmentsCommand, mergeCommand, segmentCommand } from './podCommands.ts';

export interface K8sManifestOptions {
  /** DNS-1123 label; the Jobs are <name> and <name>-merge. */
  name: string;
  /** Left out: the objects go to kubectl's current namespace. */
  namespace?: string;
  parallelism: number;
  image: string;
  runId: string;
  /** ISO 8601 instant, shared by every segment. */
  startAt: string;
  /** The scenario's file name, e.g. steady.ts; the bundle is steady.mjs. */
  scenarioFile: string;
  /** The compiled ESM bundle's text. */
  bundle: string;
  bundleMap?: string;
  /** The config file's text, secrets already replaced by process.env references. */
  config: string;
  /** The config's file name in the pod's working directory [default: pipesoak.config.ts]. */
  configFile?: string;
  /** A Secret (e.g. with DATABASE_URL) given to the segment pods as environment variables. */
  secretName?: string;
  /** More `pipesoak run` flags (rate, duration). */
  runArgs: string[];
  /** An existing ReadWriteMany claim, or the size of a new one. */
  storage: { claimName?: string; size?: string };
  /**
   * How long the run takes from `kubectl apply`: the wait for startAt, the duration, the drain and
   * the graceful stop. The Jobs' activeDeadlineSeconds are this plus a margin; left out, the Jobs
   * have no deadline.
   */
  runSeconds?: number;
}

export type K8sObject = IConfigMap | IPersistentVolumeClaim | IJob;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const MERGE_SUFFIX = '-merge';
/** Job names end up in label values (63 characters at most) with -merge appended. */
const MAX_NAME = 63 - MERGE_SUFFIX.length;
/** An Indexed Job allows at most 100000 completions. */
const MAX_PARALLELISM = 100_000;

/** "steady.ts" → "steady.mjs", as the scenario compiler names bundles. */
export function bundleFileName(scenarioFile: string): string {
  const base = scenarioFile.replace(/^.*\//, '');
  return `${base.replace(/\.[^.]*$/, '')}.mjs`;
}

/** Every problem with the options as one line, or undefined. */
function optionsProblem(o: K8sManifestOptions, configFile: string): string | undefined {
  if (!DNS_LABEL.test(o.name) || o.name.length > MAX_NAME) {
    return `--name: "${o.name}" must be lowercase letters, digits and '-', start and end with a letter or digit, at most ${MAX_NAME} characters`;
  }
  if (o.namespace !== undefined && (!DNS_LABEL.test(o.namespace) || o.namespace.length > 63)) {
    return `--namespace: "${o.namespace}" is not a Kubernetes namespace name (DNS-1123 label)`;
  }
  if (!Number.isInteger(o.parallelism) || o.parallelism < 1 || o.parallelism > MAX_PARALLELISM) {
    return `--parallelism: ${o.parallelism} must be a whole number from 1 to ${MAX_PARALLELISM}`;
  }
  if (o.image.trim() === '' || /\s/.test(o.image)) return `--image: "${o.image}" is not an image reference`;
  if (!LABEL_VALUE.test(o.runId) || o.runId.length > 63) {
    return `run id "${o.runId}" must be letters, digits, '-', '_' or '.', at most 63 characters`;
  }
  if (!ISO_INSTANT.test(o.startAt) || Number.isNaN(Date.parse(o.startAt))) {
    return `--start-at: "${o.startAt}" is not an ISO 8601 instant with a zone, e.g. 2026-12-01T22:00:00Z`;
  }
  const bundleFile = bundleFileName(o.scenarioFile);
  if (!CONFIG_MAP_KEY.test(bundleFile)) {
    return `scenario ${o.scenarioFile}: its name may only hold letters, digits, '-', '_' and '.' (it becomes a ConfigMap key)`;
  }
  if (!CONFIG_MAP_KEY.test(configFile) || configFile === bundleFile || configFile === `${bundleFile}.map`) {
    return `config ${configFile}: its name may only hold letters, digits, '-', '_' and '.', and differ from the bundle's`;
  }
  if (redactUrl(o.config) !== o.config) {
    return `config ${configFile}: holds a URL with a password; it must read it from process.env (the Secret)`;
  }
  if (o.storage.claimName !== undefined && !DNS_SUBDOMAIN.test(o.storage.claimName)) {
    return `--claim: "${o.storage.claimName}" is not a PersistentVolumeClaim name`;
  }
  if (o.storage.size !== undefined && !QUANTITY.test(o.storage.size)) {
    return `--storage-size: "${o.storage.size}" is not a Kubernetes quantity, e.g. 10Gi`;
  }
  if (o.secretName !== undefined && !DNS_SUBDOMAIN.test(o.secretName)) {
    return `--secret: "${o.secretName}" is not a Secret name`;
  }
  if (o.runSeconds !== undefined && (!Number.isInteger(o.runSeconds) || o.runSeconds < 1)) {
    return `run length ${o.runSeconds} must be a whole number of seconds, at least 1`;
  }
  const bytes = [o.bundle, o.bundleMap ?? '', o.config].reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (bytes > K8S_DEFAULTS.configMapMaxBytes) {
    return `scenario ${o.scenarioFile}: bundle, source map and config are ${bytes} bytes, over the 1 MiB a ConfigMap holds`;
  }
  return undefined;
}

export function k8sManifests(o: K8sManifestOptions): K8sObject[] {
  const configFile = o.configFile ?? 'pipesoak.config.ts';
  const problem = optionsProblem(o, configFile);
  if (problem) throw new UsageError(problem);

  const d = K8S_DEFAULTS;
  const bundleFile = bundleFileName(o.scenarioFile);
  const runDir = `${d.runsDir}/${o.runId}`;
  const configMapName = `${o.name}-scenario`;
  const claimName = o.storage.claimName ?? `${o.name}-runs`;
  const mergeName = `${o.name}${MERGE_SUFFIX}`;
  const ns = o.namespace === undefined ? {} : { namespace: o.namespace };
  const labels = (component: string) => ({
    'app.kubernetes.io/name': 'pipesoak',
    'app.kubernetes.io/instance': o.name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': 'pipesoak',
    'pipesoak/run-id': o.runId,
  });

  const data: Record<string, string> = { [bundleFile]: o.bundle, [configFile]: o.config };
  if (o.bundleMap !== undefined) data[`${bundleFile}.map`] = o.bundleMap;
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName, ...ns, labels: labels('scenario') },
    data,
  };

  const claim: IPersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName, ...ns, labels: labels('runs') },
    spec: {
      // Every segment pod writes its folder and the merge pod reads them all, from any node.
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: o.storage.size ?? d.storageSize } },
    },
  };

  const podSecurity: IPodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: d.uid,
    runAsGroup: d.uid,
    // The run-folder volume becomes writable by that group.
    fsGroup: d.uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const containerSecurity: ISecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
  const volumes: IVolume[] = [
    { name: 'scenario', configMap: { name: configMapName } },
    { name: 'runs', persistentVolumeClaim: { claimName } },
    // tsx keeps its compile cache in the temporary folder; the root filesystem is read-only.
    { name: 'tmp', emptyDir: {} },
  ];
  const runsMount: IVolumeMount = { name: 'runs', mountPath: d.runsDir };
  const tmpMount: IVolumeMount = { name: 'tmp', mountPath: '/tmp' };
  const base = {
    image: o.image,
    workingDir: d.appDir,
    securityContext: containerSecurity,
  } satisfies Partial<IContainer>;

  const configMount: IVolumeMount = {
    name: 'scenario',
    mountPath: `${d.appDir}/${configFile}`,
    subPath: configFile,
    readOnly: true,
  };
  const secretEnv = o.secretName === undefined ? {} : { envFrom: [{ secretRef: { name: o.secretName } }] };
  const segment: IContainer = {
    ...base,
    name: 'segment',
    command: segmentCommand({
      parallelism: o.parallelism,
      bundlePath: `${d.scenarioDir}/${bundleFile}`,
      configPath: configFile,
      startAt: o.startAt,
      runId: o.runId,
      runDir,
      runArgs: o.runArgs,
    }),
    ...secretEnv,
    resources: d.segmentResources,
    volumeMounts: [
      { name: 'scenario', mountPath: d.scenarioDir, readOnly: true },
      // One file over the image's own config, so the config's relative imports resolve in /app.
      configMount,
      runsMount,
      tmpMount,
    ],
  };

  const segmentJob: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, ...ns, labels: labels('segment') },
    spec: {
      completionMode: 'Indexed',
      completions: o.parallelism,
      parallelism: o.parallelism,
      // 0: a replaced pod would replay its segment, so its iterations (and correlation ids) would
      // reach the pipeline twice and the merged counts would be wrong. A failed segment fails the run.
      backoffLimit: 0,
      // A segment that hangs is stopped (SIGTERM, then its partial report) rather than left running.
      ...(o.runSeconds === undefined ? {} : { activeDeadlineSeconds: o.runSeconds + d.segmentSlackSeconds }),
      template: {
        metadata: { labels: labels('segment') },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: d.terminationGraceSeconds,
          securityContext: podSecurity,
          // Generators on separate nodes where the cluster allows: that is the point of spreading.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: {
                matchLabels: {
                  'app.kubernetes.io/instance': o.name,
                  'app.kubernetes.io/component': 'segment',
                },
              },
            },
          ],
          containers: [segment],
          volumes,
        },
      },
    },
  };

  const mergeJob: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: mergeName, ...ns, labels: labels('merge') },
    spec: {
      completions: 1,
      parallelism: 1,
      // Merging twice would meet its own half-written output; a failed merge is rerun by hand.
      backoffLimit: 0,
      // Ends the wait if a segment pod vanished without its exit file (node lost, OOM kill).
      ...(o.runSeconds === undefined ? {} : { activeDeadlineSeconds: o.runSeconds + d.mergeSlackSeconds }),
      template: {
        metadata: { labels: labels('merge') },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurity,
          // Kubernetes orders no Jobs: this init container holds the merge until every segment has
          // written its exit file on the shared volume.
          initContainers: [
            {
              ...base,
              name: 'await-segments',
              command: awaitSegmentsCommand({
                parallelism: o.parallelism,
                runDir,
                pollSeconds: d.pollSeconds,
              }),
              resources: {
                requests: { cpu: '10m', memory: '16Mi' },
                limits: { cpu: '100m', memory: '64Mi' },
              },
              volumeMounts: [runsMount],
            },
          ],
          containers: [
            {
              ...base,
              name: 'merge',
              // The merge reads the target's database (the integrity check), as the segments do.
              command: mergeCommand({ parallelism: o.parallelism, runDir, configPath: configFile }),
              ...secretEnv,
              resources: d.mergeResources,
              volumeMounts: [configMount, runsMount, tmpMount],
            },
          ],
          volumes,
        },
      },
    },
  };

  return o.storage.claimName === undefined
    ? [configMap, claim, segmentJob, mergeJob]
    : [configMap, segmentJob, mergeJob];
}
