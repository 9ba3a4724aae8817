// Starts bench/support/minimalServer.ts as a child process and resolves its URL and pid.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MinimalServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export function startMinimalServer(): Promise<MinimalServer> {
  const entry = fileURLToPath(new URL('./minimalServer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`minimal server exited ${code} before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      const match = /listening (\d+)/.exec(out);
      if (!match) return;
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${match[1]}/`,
        pid: child.pid ?? 0,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
