// `pipesoak reference up|down|migrate`: the reference pipeline as child processes of one supervisor.
import { spawn } from 'node:child_process';
import { createWriteStream, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { COMPONENTS, type ComponentName } from '../../reference/component.ts';
import { migrate } from '../../reference/migrate.ts';
import { loadSettings } from '../../reference/settings.ts';
import {
  clearState,
  isAlive,
  isComponentProcess,
  logPath,
  readState,
  stateDir,
  writeState,
} from '../referenceState.ts';
import { type ComponentProcess, ReferenceSupervisor } from '../referenceSupervisor.ts';
import { UsageError } from '../usageError.ts';

interface ReferenceArgs {
  action: 'up' | 'down' | 'migrate';
  only?: ComponentName[];
  detach?: boolean;
}

const CLI = fileURLToPath(new URL('../pipesoak.mjs', import.meta.url));

function settingsOrUsageError() {
  try {
    return loadSettings();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function printUrls(components: ComponentProcess[]): void {
  for (const c of components) {
    process.stdout.write(`  ${c.name.padEnd(8)} ${c.url ?? '(no HTTP)'}  pid ${c.pid}\n`);
  }
}

async function up(args: ArgumentsCamelCase<ReferenceArgs>): Promise<void> {
  const settings = settingsOrUsageError();
  const dir = stateDir();
  const existing = readState(dir);
  if (existing && isAlive(existing.supervisorPid)) {
    throw new Error(
      `the reference pipeline is already running (pid ${existing.supervisorPid}); \`pipesoak reference down\` stops it`,
    );
  }
  if (args.detach) return upDetached(args, dir);

  const { created, applied } = await migrate(settings.databaseUrl);
  if (created || applied.length) {
    process.stdout.write(
      `database ${created ? 'created' : 'ready'}; migrations applied: ${applied.join(', ')}\n`,
    );
  }
  await mkdir(dir, { recursive: true });
  const log = createWriteStream(logPath(dir), { flags: 'a' });
  const supervisor = new ReferenceSupervisor({
    onLog: (name, line) => {
      log.write(`${line}\n`);
      if (line.includes('"ready":true')) return;
      // Warnings and errors (pino level >= 40) also reach the terminal, as does anything not from pino.
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (!level || Number(level) >= 40) process.stderr.write(`[${name}] ${line}\n`);
    },
    onExit: (name, code, signal) =>
      process.stderr.write(`[${name}] exited unexpectedly (${code ?? signal})\n`),
  });
  const names = args.only?.length ? args.only : COMPONENTS;
  process.stdout.write(`starting ${names.join(', ')} ...\n`);
  const running = await supervisor.start(names);
  await writeState(dir, {
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    components: running,
  });
  process.stdout.write('reference pipeline ready:\n');
  printUrls(running);
  process.stdout.write(`logs: ${logPath(dir)}\nCtrl-C or \`pipesoak reference down\` stops it.\n`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('stopping the reference pipeline ...\n');
  await supervisor.stopAll();
  await clearState(dir);
  log.end();
  process.stdout.write('stopped.\n');
}

/** Starts `reference up` in the background and returns once it has written its state file. */
async function upDetached(args: ArgumentsCamelCase<ReferenceArgs>, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await clearState(dir);
  const out = openSync(logPath(dir), 'a');
  const extra = (args.only ?? []).flatMap((c) => ['--only', c]);
  const child = spawn(process.execPath, [CLI, 'reference', 'up', ...extra], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const state = readState(dir);
    if (state && state.supervisorPid === child.pid) {
      process.stdout.write(`reference pipeline ready (supervisor pid ${child.pid}):\n`);
      printUrls(state.components);
      process.stdout.write(`logs: ${logPath(dir)}; \`pipesoak reference down\` stops it.\n`);
      return;
    }
    if (child.exitCode !== null || !isAlive(child.pid ?? -1)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // One line, like every error the CLI prints: the log lines joined with " | ".
  const tail = (await readFile(logPath(dir), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.trim())
    .slice(-5)
    .join(' | ');
  throw new Error(`the reference pipeline did not start (log ${logPath(dir)}); last log lines: ${tail}`);
}

async function down(): Promise<void> {
  const dir = stateDir();
  const state = readState(dir);
  if (!state) {
    process.stdout.write('no reference pipeline is running.\n');
    return;
  }
  if (isAlive(state.supervisorPid)) {
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (isAlive(state.supervisorPid) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
  }
  // A supervisor that died hard leaves its children to exit on their own; make sure they did.
  for (const c of state.components) {
    if (isAlive(c.pid) && isComponentProcess(c.pid)) process.kill(c.pid, 'SIGKILL');
  }
  await clearState(dir);
  process.stdout.write(`stopped ${state.components.map((c) => c.name).join(', ')}.\n`);
}

export const referenceCommand: CommandModule<object, ReferenceArgs> = {
  command: 'reference <action>',
  describe: 'Run the reference pipeline (gateway, relay, worker, sink, LLM stub): up, down or migrate',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ['up', 'down', 'migrate'] as const,
        demandOption: true,
        describe:
          'up: start and wait for health; down: stop a running one; migrate: create/upgrade its database',
      })
      .option('only', {
        type: 'string',
        array: true,
        choices: COMPONENTS,
        describe: 'start only these components (repeatable), e.g. --only worker',
      })
      .option('detach', { type: 'boolean', default: false, describe: 'with up: run in the background' })
      .example('$0 reference up', 'start all five components on their default ports; Ctrl-C stops them')
      .example('$0 reference up --detach && $0 reference down', 'start in the background, later stop')
      .example('WORKER_THROTTLE_EPS=50 $0 reference up --only worker', 'a worker slower than its input')
      .epilog(
        'Every setting comes from the environment (reference/settings.ts): REFERENCE_DATABASE_URL, NATS_URL,\n' +
          'GATEWAY_PORT, SINK_PORT, LLM_PORT, METRICS_PORT, BATCH_SIZE, INBOX_MAX_RETRIES, DLQ_MAX_ATTEMPTS, ...',
      ) as Argv<ReferenceArgs>,
  handler: async (args) => {
    if (args.action === 'up') return up(args);
    if (args.action === 'down') return down();
    const result = await migrate(settingsOrUsageError().databaseUrl);
    process.stdout.write(
      `database ${result.database} ${result.created ? 'created' : 'exists'}; ` +
        `migrations applied: ${result.applied.length ? result.applied.join(', ') : 'none (up to date)'}\n`,
    );
  },
};
