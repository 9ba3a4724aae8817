// `pipesoak k8s`: writes the Kubernetes manifests of a distributed run (DESIGN section 6) into one
// file for `kubectl apply -f`. It compiles the scenario, validates the config, and takes the
// config's secrets out of it before anything is written.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../../record/duration.ts';
import { K8S_DEFAULTS } from '../k8s/k8sDefaults.ts';
import { UsageError } from '../usageError.ts';

interface K8sArgs {
  scenario: string;
  parallelism: number;
  image: string;
  out: string;
  startAt?: string;
  name?: string;
  namespace?: string;
  secret?: string;
  rate?: number;
  duration?: string;
  config: string;
  runId?: string;
  claim?: string;
  storageSize?: string;
  allowRemote: boolean;
}

/** 2026-12-01T22:15:00Z → 20261201-221500, the run-folder stamp. */
function stamp(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

function defaultStartAt(now: number): string {
  return new Date(Math.ceil((now + K8S_DEFAULTS.startDelayMs) / 1000) * 1000).toISOString();
}

export const k8sCommand: CommandModule<object, K8sArgs> = {
  command: 'k8s <scenario>',
  describe: 'Write Kubernetes manifests that run a scenario as N segments (an Indexed Job) and merge them',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', demandOption: true, describe: 'the scenario file (.ts)' })
      .option('parallelism', {
        type: 'number',
        demandOption: true,
        describe: 'number of segment pods; the load is split between them',
      })
      .option('image', { type: 'string', default: K8S_DEFAULTS.image, describe: 'the pipesoak image' })
      .option('out', { type: 'string', default: '.', describe: `folder for ${K8S_DEFAULTS.manifestFile}` })
      .option('start-at', {
        type: 'string',
        describe: `the instant every segment starts, ISO 8601 [default: now + ${K8S_DEFAULTS.startDelayMs / 60_000} min]`,
      })
      .option('name', {
        type: 'string',
        describe: 'the Jobs are <name> and <name>-merge [default: pipesoak-<run id>]',
      })
      .option('namespace', { type: 'string', describe: "namespace [default: kubectl's current one]" })
      .option('secret', {
        type: 'string',
        describe: "a Secret whose keys become the segment pods' environment (e.g. DATABASE_URL)",
      })
      .option('rate', {
        type: 'number',
        describe: 'total events per second over all segments [default: config]',
      })
      .option('duration', { type: 'string', describe: 'run length, e.g. 30m [default: config]' })
      .option('allow-remote', {
        type: 'boolean',
        default: false,
        describe: 'let the pods load targets that are not on loopback (in a cluster, they are not)',
      })
      .option('config', { type: 'string', default: 'pipesoak.config.ts', describe: 'the run configuration' })
      .option('run-id', {
        type: 'string',
        describe: 'run id and folder name [default: <scenario>-<start stamp>]',
      })
      .option('claim', {
        type: 'string',
        describe: 'an existing ReadWriteMany PersistentVolumeClaim for the runs',
      })
      .option('storage-size', {
        type: 'string',
        describe: `size of the claim made when --claim is not given [default: ${K8S_DEFAULTS.storageSize}]`,
      })
      .example(
        '$0 k8s scenarios/steady.ts --parallelism 4 --image registry.example/pipesoak:0.1.0 --secret soak-db --rate 2000 --duration 1h --allow-remote',
        `writes ./${K8S_DEFAULTS.manifestFile}: 4 pods of 500 events/s each, then: kubectl apply -f ${K8S_DEFAULTS.manifestFile}`,
      )
      .epilog(
        'The merged report appears in /runs/<run id>/merged on the claim; docs/kubernetes.md says how to run and fetch it.',
      ) as unknown as Argv<K8sArgs>, // yargs types the kebab-case keys; the camelCase ones exist at run time
  handler: async (args) => {
    // Loaded here, not at the top: every other command starts without them (esbuild, the config).
    const { loadConfig } = await import('../config/loadConfig.ts');
    const { clusterConfig } = await import('../k8s/clusterConfig.ts');
    const { k8sManifests } = await import('../k8s/k8sManifests.ts');
    const { manifestYaml } = await import('../k8s/manifestYaml.ts');
    const { scenarioBundle } = await import('../k8s/scenarioBundle.ts');
    const repeated = Object.keys(args).find(
      (key) => key !== '_' && !/[A-Z]/.test(key) && Array.isArray(args[key]),
    );
    if (repeated) throw new UsageError(`--${repeated} is given more than once`);
    if (!Number.isInteger(args.parallelism) || args.parallelism < 1) {
      throw new UsageError(`--parallelism: ${args.parallelism} must be a whole number, at least 1`);
    }
    if (args.rate !== undefined && !(Number.isFinite(args.rate) && args.rate > 0)) {
      throw new UsageError(`--rate: ${args.rate} must be a number of events per second above 0`);
    }
    let durationMs: number | undefined;
    if (args.duration !== undefined) {
      try {
        durationMs = parseDuration(args.duration);
      } catch (err) {
        throw new UsageError(`--duration: ${(err as Error).message}`);
      }
      if (durationMs <= 0) throw new UsageError('--duration: must be longer than 0s');
    }
    const now = Date.now();
    const startAt = args.startAt ?? defaultStartAt(now);
    const startMs = Date.parse(startAt);
    if (Number.isNaN(startMs)) {
      throw new UsageError(`--start-at: "${startAt}" is not an ISO 8601 instant, e.g. 2026-12-01T22:00:00Z`);
    }
    if (startMs <= now)
      throw new UsageError(`--start-at: ${startAt} is already past; the pods could not meet it`);

    const config = await loadConfig(args.config);
    const configText = await readFile(args.config, 'utf8');
    const configFile = basename(args.config);
    const cluster = clusterConfig(configText, config, args.config);
    if (cluster.replaced.length > 0 && args.secret === undefined) {
      const first = cluster.replaced[0];
      throw new UsageError(
        `config ${args.config}: ${first?.field} holds a secret; put it in a Secret under ${first?.env} and pass --secret NAME`,
      );
    }
    const compiled = await scenarioBundle(args.scenario);

    const scenarioName = basename(args.scenario, extname(args.scenario));
    const runId = args.runId ?? `${scenarioName.replace(/[^A-Za-z0-9_.-]+/g, '-')}-${stamp(startAt)}`;
    const name =
      args.name ??
      `pipesoak-${runId}`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .slice(0, 57)
        .replace(/-+$/, '');
    const runArgs = [
      ...(args.rate !== undefined ? ['--rate', String(args.rate)] : []),
      ...(args.duration !== undefined ? ['--duration', args.duration] : []),
      ...(args.allowRemote ? ['--allow-remote'] : []),
    ];
    const runSeconds =
      Math.ceil((startMs - now) / 1000) +
      Math.ceil(((durationMs ?? config.load.duration) + config.drainTimeout) / 1000) +
      K8S_DEFAULTS.gracefulStopSeconds;

    const objects = k8sManifests({
      name,
      ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
      parallelism: args.parallelism,
      image: args.image,
      runId,
      startAt,
      scenarioFile: basename(args.scenario),
      bundle: compiled.bundle,
      bundleMap: compiled.map,
      config: cluster.text,
      configFile,
      ...(args.secret !== undefined ? { secretName: args.secret } : {}),
      runArgs,
      storage: {
        ...(args.claim !== undefined ? { claimName: args.claim } : {}),
        ...(args.storageSize !== undefined ? { size: args.storageSize } : {}),
      },
      runSeconds,
    });

    const runDir = `${K8S_DEFAULTS.runsDir}/${runId}`;
    const yaml = manifestYaml(objects, [
      `pipesoak ${scenarioName}: ${args.parallelism} segments from ${startAt}, run id ${runId}.`,
      `kubectl apply -f ${K8S_DEFAULTS.manifestFile}; kubectl get pods -l app.kubernetes.io/instance=${name} -w`,
      `Segments write ${runDir}/segment-<i>; the merge Job writes ${runDir}/merged on the claim.`,
      'The Indexed Job has backoffLimit 0: a replaced pod would replay its segment and count it twice.',
      'Generated by `pipesoak k8s`; regenerate rather than edit (the start instant is fixed in it).',
    ]);
    try {
      await mkdir(args.out, { recursive: true });
      await writeFile(join(args.out, K8S_DEFAULTS.manifestFile), yaml);
    } catch (err) {
      throw new UsageError(`--out ${args.out}: ${(err as Error).message}`);
    }
    const file = join(args.out, K8S_DEFAULTS.manifestFile);
    const notes = [
      ...cluster.replaced.map((s) => `${s.field} is read from ${s.env} in Secret ${args.secret}`),
      ...cluster.fromEnvironment.map(
        (f) => `${f} came from this machine's environment; the pods need the same variable (--secret)`,
      ),
    ];
    process.stdout.write(
      `wrote ${file}: ${objects.map((o) => `${o.kind} ${o.metadata?.name}`).join(', ')}\n` +
        notes.map((n) => `note: ${n}\n`).join('') +
        `start: ${startAt} (the pods must be running by then)\n` +
        `next: kubectl apply -f ${file} && kubectl get pods -l app.kubernetes.io/instance=${name} -w\n` +
        `report: ${runDir}/merged on the claim (docs/kubernetes.md: fetching it)\n`,
    );
  },
};
