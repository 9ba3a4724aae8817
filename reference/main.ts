// Process entry of one reference component: `node --import tsx reference/main.ts <component>`.
// Logs one `ready` line (JSON, with its url) once it serves; stops cleanly on SIGTERM/SIGINT.
import { COMPONENTS, type ComponentName, type RunningComponent } from './component.ts';
import { startGateway } from './gateway.ts';
import { startLlmStub } from './llmStub.ts';
import { createLogger, type Logger } from './logger.ts';
import { startRelay } from './relay.ts';
import { loadSettings, type ReferenceSettings } from './settings.ts';
import { startSink } from './sink.ts';
import { startWorker } from './worker.ts';

const starters: Record<ComponentName, (s: ReferenceSettings, log: Logger) => Promise<RunningComponent>> = {
  gateway: startGateway,
  relay: startRelay,
  worker: startWorker,
  sink: startSink,
  llm: startLlmStub,
};

const name = process.argv[2] as ComponentName;
if (!COMPONENTS.includes(name)) {
  process.stderr.write(`usage: main.ts <${COMPONENTS.join('|')}>\n`);
  process.exit(2);
}
const settings = loadSettings();
const log = createLogger(name, settings.logLevel);
const running = await starters[name](settings, log);
// Written past the logger so the supervisor sees it whatever LOG_LEVEL says.
process.stdout.write(
  `${JSON.stringify({ ready: true, component: name, url: running.url, pid: process.pid })}\n`,
);

let stopping = false;
function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  log.info({ why }, 'stopping');
  running.close().then(
    () => process.exit(0),
    (err: Error) => {
      log.error({ err }, 'close failed');
      process.exit(1);
    },
  );
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));
// Started by the supervisor: its pipe closing means it died (even by kill -9), so no orphan stays.
if (process.env.PIPESOAK_PARENT_PIPE === '1') {
  process.stdin.on('end', () => stop('supervisor gone'));
  process.stdin.on('error', () => stop('supervisor gone'));
  process.stdin.resume();
}
