import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeExecFaults } from '../../faults/describeExecFaults.ts';
import { FaultRunner } from '../../faults/faultRunner.ts';
import { type FaultScheduleInput, type FaultScope, validateFaults } from '../../faults/faultSchedule.ts';
import { freePort, waitForPort } from '../../faults/freePort.ts';
import { ConfigError } from '../../record/configError.ts';
import { EVENT } from '../../record/runEvents.ts';
import { RecordingRecorder, waitFor } from '../support/recordingRecorder.ts';

const VICTIM = join(import.meta.dirname, '../fixtures/execVictim.mjs');
const scope: FaultScope = {
  components: [],
  ownBroker: false,
  proxied: {},
  applications: [],
  allowExec: true,
};

let dir: string;
let port: number;
let pidFile: string;
let first: ChildProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pipesoak-exec-'));
  port = await freePort();
  pidFile = join(dir, 'victim.pid');
  first = spawn(process.execPath, [VICTIM, String(port), pidFile], { stdio: 'ignore' });
  await waitForPort(port, 10_000);
});

afterAll(async () => {
  // The restarted victim is a grandchild of the exec fault: end it by the pid it wrote.
  for (const pid of [first?.pid, pidOf()]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await rm(dir, { recursive: true, force: true });
});

function pidOf(): number | undefined {
  return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function start(input: FaultScheduleInput, recorder: RecordingRecorder, log?: (l: string) => void) {
  const runner = new FaultRunner(validateFaults(input, scope), { recorder, log });
  runner.start();
  return runner;
}

const endOf = (r: RecordingRecorder) => r.events.find((e) => e.kind === EVENT.faultEnd);
const startOf = (r: RecordingRecorder) => r.events.find((e) => e.kind === EVENT.faultStart);

describe('exec faults', () => {
  it('exec faults - refused without --allow-exec-faults, naming the flag', () => {
    const input = { faults: [{ what: 'exec', at: '0s', for: '1s', start: 'true' }] };
    expect(() => validateFaults(input, { ...scope, allowExec: false })).toThrow(ConfigError);
    expect(() => validateFaults(input, { ...scope, allowExec: false })).toThrow(
      'faults[0].what: exec faults run commands on this machine; pass --allow-exec-faults to allow them',
    );
    const [w] = validateFaults(input, scope).faults;
    expect(w).toMatchObject({ what: 'exec', where: 'external', timeout: 30_000, id: 'exec-external-0' });
  });

  it('exec faults - a command must be one non-empty line, and start/timeout belong to exec only', () => {
    const bad = (fault: object) => () => validateFaults({ faults: [fault] }, scope);
    expect(bad({ what: 'exec', at: '0s', for: '1s', start: '  ' })).toThrow(
      'faults[0].start: must not be empty',
    );
    expect(bad({ what: 'exec', at: '0s', for: '1s', start: 'a\nb' })).toThrow(
      'faults[0].start: must be one line',
    );
    expect(bad({ what: 'exec', at: '0s', for: '1s' })).toThrow('faults[0].start');
    expect(bad({ what: 'down', at: '0s', for: '1s', where: 'nats', start: 'x' })).toThrow(
      'faults[0].start: does not apply to down (only exec)',
    );
  });

  it('exec faults - the lines shown before the run list every command with its timing', () => {
    const schedule = validateFaults(
      {
        faults: [
          { what: 'latency', at: '0s', for: '1s', where: 'nats', latencyMs: 5 },
          {
            id: 'kill-worker',
            what: 'exec',
            at: '10s',
            for: '20s',
            where: 'compose-worker',
            start: 'docker compose kill worker',
            end: 'docker compose start worker',
            timeout: '5s',
          },
          { what: 'exec', at: '1m', for: '1s', start: 'systemctl restart relay' },
        ],
      },
      { ...scope, proxied: { nats: '127.0.0.1:4222' } },
    );
    expect(describeExecFaults(schedule)).toEqual([
      'exec faults: 2 windows will run commands on this machine',
      '  kill-worker (compose-worker): at 10s for 20s, each command killed after 5s',
      '    start: docker compose kill worker',
      '    end:   docker compose start worker',
      '  exec-external-2 (external): at 1m for 1s, each command killed after 30s',
      '    start: systemctl restart relay',
      '    end:   (none)',
    ]);
    expect(describeExecFaults({ faults: [] })).toEqual([]);
  });

  it('exec faults - the start command kills the process the test started, the end command starts it again', async () => {
    const recorder = new RecordingRecorder();
    const logged: string[] = [];
    const oldPid = pidOf() ?? -1;
    expect(alive(oldPid)).toBe(true);
    const runner = start(
      {
        faults: [
          {
            id: 'victim',
            what: 'exec',
            at: '0s',
            for: '1500ms',
            where: 'victim',
            start: `kill -9 $(cat '${pidFile}')`,
            end: `'${process.execPath}' '${VICTIM}' ${port} '${pidFile}' >/dev/null 2>&1 &`,
            timeout: '10s',
          },
        ],
      },
      recorder,
      (l) => logged.push(l),
    );
    await waitFor(() => !alive(oldPid), 5000);
    expect(await portOpen()).toBe(false);
    await runner.done;
    await waitFor(async () => (pidOf() ?? oldPid) !== oldPid && (await portOpen()), 10_000);
    const newPid = pidOf() ?? -1;
    expect(alive(newPid)).toBe(true);
    const begun = startOf(recorder);
    const ended = endOf(recorder);
    expect(begun?.data).toMatchObject({ id: 'victim', what: 'exec', where: 'victim' });
    expect(ended?.data).toMatchObject({ id: 'victim', start: { exit: 0 }, end: { exit: 0 } });
    expect(ended?.data.error).toBeUndefined();
    expect((ended?.atMs ?? 0) - (begun?.atMs ?? 0)).toBeGreaterThanOrEqual(1400);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(/^fault victim: start: kill -9 .* -> exit 0 \(\d+ ms\)$/);
    expect(logged[1]).toMatch(/^fault victim: end: .* -> exit 0 \(\d+ ms\)$/);
  }, 30_000);

  it('exec faults - a failing start command ends the window at once, runs the end command and is reported', async () => {
    const recorder = new RecordingRecorder();
    const marker = join(dir, 'ended');
    const opened = Date.now();
    const runner = start(
      {
        faults: [
          {
            what: 'exec',
            at: '0s',
            for: '60s',
            start: 'echo no such service >&2; exit 3',
            end: `touch '${marker}'`,
          },
        ],
      },
      recorder,
    );
    await runner.done;
    expect(Date.now() - opened).toBeLessThan(20_000);
    expect(existsSync(marker)).toBe(true);
    const ended = endOf(recorder);
    expect(ended?.data).toMatchObject({
      start: { exit: 3, output: 'no such service' },
      end: { exit: 0 },
    });
    expect(ended?.data.error).toMatch(/^could not apply: start command exit 3 \(\d+ ms\): no such service$/);
  }, 30_000);

  it('exec faults - a hanging command is killed with its process group after the timeout and the run goes on', async () => {
    const recorder = new RecordingRecorder();
    const shellPid = join(dir, 'hang.pid');
    const opened = Date.now();
    const runner = start(
      {
        faults: [
          {
            what: 'exec',
            at: '0s',
            for: '60s',
            start: `echo $$ > '${shellPid}'; sleep 600`,
            timeout: '500ms',
          },
        ],
      },
      recorder,
    );
    await runner.done;
    // 500 ms timeout; the bound leaves room for a loaded machine but not for the 600 s sleep.
    expect(Date.now() - opened).toBeLessThan(15_000);
    const ended = endOf(recorder);
    expect(ended?.data).toMatchObject({ start: { exit: null, signal: 'SIGKILL', timedOut: true } });
    expect(ended?.data.error).toBe('could not apply: start command killed after the 500 ms timeout');
    const pid = Number(readFileSync(shellPid, 'utf8'));
    await waitFor(() => !alive(pid), 5000);
  }, 30_000);

  it('exec faults - a failing end command is reported on fault.end, and stop() runs the end command of an open window', async () => {
    const recorder = new RecordingRecorder();
    const runner = start(
      { faults: [{ what: 'exec', at: '0s', for: '60s', start: 'true', end: 'exit 7' }] },
      recorder,
    );
    await waitFor(() => recorder.events.some((e) => e.kind === EVENT.faultStart), 5000);
    await new Promise((r) => setTimeout(r, 300));
    const stopped = Date.now();
    await runner.stop();
    await runner.done;
    expect(Date.now() - stopped).toBeLessThan(15_000);
    const ended = endOf(recorder);
    expect(ended?.data).toMatchObject({ start: { exit: 0 }, end: { exit: 7 } });
    expect(ended?.data.error).toMatch(/^end command exit 7 \(\d+ ms\)$/);
  }, 30_000);
});
