// Entry of a child process that runs the collectors and nothing else, so their CPU time can be read
// from outside (/proc) apart from the load generator's and the pipeline's. Controlled over IPC:
//   node --import tsx bench/support/collectorsProcess.ts   (forked; config in PIPESOAK_COLLECTORS_PROCESS)
// It answers `ready` once the collectors run (or at once when they are off, the baseline) and, on
// `stop`, stops them, answers `stopped` and exits.
import { type CollectorSet, startCollectors } from '../../collectors/collectorSet.ts';
import {
  CONFIG_ENV,
  type CollectorsProcessCommand,
  type CollectorsProcessConfig,
  type CollectorsProcessMessage,
} from './collectorsProcessProtocol.ts';

function send(message: CollectorsProcessMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

async function main(): Promise<void> {
  const raw = process.env[CONFIG_ENV];
  if (!process.send || raw === undefined) {
    process.stderr.write(`collectorsProcess: run me with child_process.fork and ${CONFIG_ENV} set\n`);
    process.exit(2);
  }
  const config = JSON.parse(raw) as CollectorsProcessConfig;
  const set: CollectorSet | undefined = config.collectorsOn
    ? await startCollectors(config.options)
    : undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await set?.stop();
    const stats = set?.stats() ?? [];
    await send({
      type: 'stopped',
      completed: set?.completed() ?? 0,
      samples: stats.reduce((n, s) => n + s.samples, 0),
      failures: stats.reduce((n, s) => n + s.failures, 0),
    });
    process.exit(0);
  };
  process.on('message', (message: CollectorsProcessCommand) => {
    if (message.type === 'stop') void stop();
  });
  // The parent gone (even by kill -9) means nobody reads the result: stop anyway, leave no orphan.
  process.on('disconnect', () => void stop());
  await send({ type: 'ready' });
}

main().catch(async (err: unknown) => {
  await send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
