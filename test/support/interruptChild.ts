// A child process for the Ctrl-C tests: listens with onInterrupt and reports each step on stdout,
// so the parent can send the next real SIGINT only once the previous one was handled.
// argv[2]: `twice` (graceful, then immediate exits 130) or `dispose` (the disposer runs after the
// first signal, so the second one gets Node's default and kills the process).
import { onInterrupt } from '../../runner/signals.ts';

const mode = process.argv[2] ?? 'twice';
const say = (line: string) => process.stdout.write(`${line}\n`);

const dispose = onInterrupt({
  graceful(signal) {
    say(`graceful ${signal}`);
    if (mode === 'dispose') {
      dispose();
      say('disposed');
    }
  },
  immediate(signal) {
    say(`immediate ${signal}`);
    dispose();
    process.exit(130);
  },
});
// Keeps the event loop alive while the parent sends signals; a run's engine would be here.
const keepAlive = setInterval(() => undefined, 1000);
setTimeout(() => {
  clearInterval(keepAlive);
  say('timed out');
  process.exit(99);
}, 20_000).unref();
say('ready');
