// `pipesoak proxies up`: Toxiproxy proxies in front of the config target's NATS and Postgres and a
// webhook address, printing where to point the pipeline; in the foreground until Ctrl-C, which
// removes them. No state is kept, so there is no `proxies down`: the proxies live as long as it.
import type { Argv, CommandModule } from 'yargs';
import type { ProxyTarget } from '../../faults/faultSchedule.ts';
import {
  checkUserUpstreams,
  describeUserProxies,
  startUserProxies,
  type UserUpstream,
} from '../../faults/userProxies.ts';
import { loadConfig } from '../config/loadConfig.ts';
import { UsageError } from '../usageError.ts';

interface ProxiesArgs {
  action: 'up';
  config: string;
  webhook?: string;
  only?: ProxyTarget[];
  portBase?: number;
}

export const proxiesCommand: CommandModule<object, ProxiesArgs> = {
  command: 'proxies <action>',
  describe:
    "Put Toxiproxy proxies in front of your own pipeline's NATS, Postgres and webhook; Ctrl-C removes them",
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ['up'] as const,
        demandOption: true,
        describe: 'up: start the proxies and print their addresses (stays in the foreground)',
      })
      .option('config', {
        type: 'string',
        default: 'pipesoak.config.ts',
        describe: 'the run configuration: its target.natsUrl and target.databaseUrl are proxied',
      })
      .option('webhook', {
        type: 'string',
        describe: 'the webhook receiver the worker posts to, a URL or host:port (not proxied without it)',
      })
      .option('only', {
        type: 'string',
        array: true,
        choices: ['nats', 'postgres', 'webhook'] as const,
        describe: 'proxy only these (repeatable)',
      })
      .option('port-base', {
        type: 'number',
        describe:
          'listen on this port and the next ones, in the order nats, postgres, webhook [default: free ports]',
      })
      .example('$0 proxies up --webhook http://127.0.0.1:8091/hooks', 'proxy NATS, Postgres and the webhook')
      .epilog('Every address must be on loopback: faults stay on this machine.') as Argv<ProxiesArgs>,
  handler: async (args) => {
    const only = args.only?.length ? args.only : undefined;
    if (
      args.portBase !== undefined &&
      (!Number.isInteger(args.portBase) || args.portBase < 1 || args.portBase > 65533)
    ) {
      throw new UsageError(`--port-base ${args.portBase}: must be a port from 1 to 65533`);
    }
    if (only?.includes('webhook') && args.webhook === undefined) {
      throw new UsageError('--only webhook needs --webhook <url or host:port>');
    }
    const wanted = (t: ProxyTarget) => only === undefined || only.includes(t);
    const upstreams: UserUpstream[] = [];
    if (wanted('nats') || wanted('postgres')) {
      const config = await loadConfig(args.config);
      if (wanted('nats')) upstreams.push({ target: 'nats', address: config.target.natsUrl });
      if (wanted('postgres')) upstreams.push({ target: 'postgres', address: config.target.databaseUrl });
    }
    if (args.webhook !== undefined && wanted('webhook'))
      upstreams.push({ target: 'webhook', address: args.webhook });
    try {
      checkUserUpstreams(upstreams);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // On before the server starts and until the proxies are gone: a Ctrl-C at any point removes
    // them, and a second one does not cut the removal short.
    let stopRequested: () => void = () => undefined;
    const stopping = new Promise<void>((resolve) => {
      stopRequested = resolve;
    });
    const onSignal = () => stopRequested();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const running = await startUserProxies({ upstreams, portBase: args.portBase });
    const lines = describeUserProxies(running);
    if (args.webhook === undefined && wanted('webhook'))
      lines.push('webhook: not proxied (give --webhook <url>)');
    // Printed after the listeners are on: whoever reads it may signal at once.
    process.stdout.write(`proxies up:\n${lines.map((l) => `  ${l}\n`).join('')}Ctrl-C removes them.\n`);
    await stopping;
    await running.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.write('proxies removed.\n');
  },
};
