// Where the Toxiproxy server binary lives and how it gets there: built once per version with
// `go install` into a cache outside the clone (no generated files in the repo), reused after.
import { spawn } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Pinned here, once: v2.5.0 is the newest release the Go module proxy reachable from this machine
 * lists, and it builds with the installed Go. The cache dir is keyed by it, so a bump rebuilds.
 */
export const TOXIPROXY_VERSION = 'v2.5.0';
const MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server';

function cacheRoot(env: NodeJS.ProcessEnv): string {
  return env.PIPESOAK_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pipesoak');
}

/** `~/.cache/pipesoak/toxiproxy-v2.5.0/toxiproxy-server`, or PIPESOAK_TOXIPROXY when set. */
export function toxiproxyBinaryPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIPESOAK_TOXIPROXY ?? join(cacheRoot(env), `toxiproxy-${TOXIPROXY_VERSION}`, 'toxiproxy-server');
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary's path, building it first when it is not there yet (about 45 s on a cold Go cache). */
export async function ensureToxiproxyBinary(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const binary = toxiproxyBinaryPath(env);
  if (await executable(binary)) return binary;
  if (env.PIPESOAK_TOXIPROXY) throw new Error(`PIPESOAK_TOXIPROXY=${binary} is not an executable file`);
  const dir = join(cacheRoot(env), `toxiproxy-${TOXIPROXY_VERSION}`);
  await mkdir(dir, { recursive: true });
  // Built into a scratch dir and moved in last: an interrupted build leaves no half-written
  // binary that a later run would take for a good one.
  const stage = await mkdtemp(join(dir, '.build-'));
  try {
    options.log?.(`go install ${MODULE}@${TOXIPROXY_VERSION}`);
    await run('go', ['install', `${MODULE}@${TOXIPROXY_VERSION}`], { ...env, GOBIN: stage });
    await rename(join(stage, 'server'), binary);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return binary;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
      process.stderr.write(chunk);
    });
    proc.on('error', (err) =>
      reject(new Error(`${command} ${args.join(' ')}: ${err.message} (is Go installed and on PATH?)`)),
    );
    proc.on('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`,
          ),
        );
    });
  });
}
