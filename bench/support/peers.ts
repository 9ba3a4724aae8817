// The benches' peers, installed on first use and kept out of the project's dependencies:
// Debian's wrk, autocannon 9 from npm into a cache folder, natscli v0.5.0 built with go install
// into the cache. Each runs under GNU time so its CPU seconds are measured the same way as ours.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const CACHE_DIR = process.env.PIPESOAK_CACHE ?? join(homedir(), '.cache', 'pipesoak');
export const AUTOCANNON_VERSION = '9.0.0';
export const NATSCLI_VERSION = 'v0.5.0';

const autocannonDir = join(CACHE_DIR, `autocannon-${AUTOCANNON_VERSION}`);
const natscliDir = join(CACHE_DIR, `natscli-${NATSCLI_VERSION}`);

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function log(line: string): void {
  process.stderr.write(`peers: ${line}\n`);
}

export function ensureWrk(): string {
  if (!onPath('wrk')) {
    log('installing Debian wrk');
    execFileSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk'],
      {
        stdio: 'inherit',
      },
    );
  }
  return 'wrk';
}

export function ensureTime(): string {
  if (!existsSync('/usr/bin/time')) {
    log('installing GNU time');
    execFileSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time'],
      {
        stdio: 'inherit',
      },
    );
  }
  return '/usr/bin/time';
}

export function ensureAutocannon(): string {
  const bin = join(autocannonDir, 'node_modules', 'autocannon', 'autocannon.js');
  if (!existsSync(bin)) {
    log(`installing autocannon ${AUTOCANNON_VERSION} into ${autocannonDir}`);
    mkdirSync(autocannonDir, { recursive: true });
    execFileSync(
      'npm',
      ['install', '--prefix', autocannonDir, '--no-audit', '--no-fund', `autocannon@${AUTOCANNON_VERSION}`],
      { stdio: 'inherit' },
    );
  }
  return bin;
}

export function ensureNatsCli(): string {
  const bin = join(natscliDir, 'nats');
  if (!existsSync(bin)) {
    log(`building natscli ${NATSCLI_VERSION} into ${natscliDir} (go install)`);
    mkdirSync(natscliDir, { recursive: true });
    execFileSync('go', ['install', `github.com/nats-io/natscli/nats@${NATSCLI_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: natscliDir },
    });
  }
  return bin;
}

export interface TimedRun {
  stdout: string;
  stderr: string;
  /** User + system CPU seconds of the peer, from GNU time. */
  cpuSeconds: number;
  maxRssBytes: number;
  wallSeconds: number;
}

/** Runs a peer to completion under GNU time; rejects on a non-zero exit with its stderr. */
export function timedRun(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<TimedRun> {
  const timeFile = join(tmpdir(), `pipesoak-time-${process.pid}-${Date.now()}.txt`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(ensureTime(), ['-o', timeFile, '-f', '%U %S %M', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      const timing = existsSync(timeFile)
        ? (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '')
        : '';
      rmSync(timeFile, { force: true });
      if (code !== 0) {
        reject(new Error(`${command} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      const [user, sys, rssKb] = timing.split(/\s+/).map(Number);
      resolve({
        stdout,
        stderr,
        cpuSeconds: (user ?? 0) + (sys ?? 0),
        maxRssBytes: (rssKb ?? 0) * 1024,
        wallSeconds,
      });
    });
  });
}

export interface HttpPeerResult {
  peer: string;
  requestsPerSecond: number;
  /** Client CPU cores used on average (CPU seconds / wall seconds). */
  clientCores: number;
  /** requests/s divided by client cores: the figure compared across clients. */
  perClientCore: number;
}

function httpResult(peer: string, requests: number, seconds: number, run: TimedRun): HttpPeerResult {
  const requestsPerSecond = requests / seconds;
  const clientCores = run.cpuSeconds / run.wallSeconds;
  return {
    peer,
    requestsPerSecond,
    clientCores,
    perClientCore: requestsPerSecond / Math.max(clientCores, 1e-9),
  };
}

/** wrk, closed loop, one thread: its Requests/sec line and its CPU. */
export async function runWrk(url: string, connections: number, seconds: number): Promise<HttpPeerResult> {
  const run = await timedRun(ensureWrk(), ['-t1', `-c${connections}`, `-d${seconds}s`, url]);
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  if (!match) throw new Error(`wrk printed no Requests/sec line: ${run.stdout}`);
  return httpResult('wrk', Number(match[1]) * seconds, seconds, run);
}

/** autocannon 9, closed loop, one worker: total requests from its JSON result and its CPU. */
export async function runAutocannon(
  url: string,
  connections: number,
  seconds: number,
): Promise<HttpPeerResult> {
  const run = await timedRun(process.execPath, [
    ensureAutocannon(),
    '--json',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    url,
  ]);
  const result = JSON.parse(run.stdout) as { requests: { total: number }; duration: number };
  return httpResult('autocannon', result.requests.total, result.duration, run);
}

export interface NatsBenchResult {
  msgsPerSecond: number;
  cpuSeconds: number;
}

/**
 * `nats bench js pub async` (natscli v0.5.0): asynchronous JetStream publishes with a batch window,
 * file storage, against the given server. Its summary line reads "... stats: 158,321 msgs/sec ...".
 */
export async function runNatsBenchJsAsync(options: {
  serverUrl: string;
  subject: string;
  msgs: number;
  size: number;
  batch: number;
  /** `--dedup`: a Nats-Msg-Id per message, de-duplicated by the stream as the engine's msgIDs are. */
  dedup?: boolean;
  /** `-H K:V` each: fixed headers on every message. */
  headers?: Record<string, string>;
}): Promise<NatsBenchResult> {
  const extra = [
    ...(options.dedup ? ['--dedup'] : []),
    ...Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}:${v}`]),
  ];
  const run = await timedRun(ensureNatsCli(), [
    '--server',
    options.serverUrl,
    'bench',
    'js',
    'pub',
    'async',
    options.subject,
    '--msgs',
    String(options.msgs),
    '--size',
    String(options.size),
    '--batch',
    String(options.batch),
    '--create',
    '--storage',
    'file',
    '--purge',
    '--no-progress',
    ...extra,
  ]);
  const text = `${run.stdout}\n${run.stderr}`;
  const match = /stats:\s+([\d,]+)\s+msgs\/sec/.exec(text);
  if (!match) throw new Error(`nats bench printed no msgs/sec line: ${text.slice(-500)}`);
  return { msgsPerSecond: Number((match[1] ?? '').replaceAll(',', '')), cpuSeconds: run.cpuSeconds };
}
