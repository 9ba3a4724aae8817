// The `--faults F` file: a TypeScript module whose default export is `defineFaults({ faults: [...] })`,
// one window per fault. validateFaults is the one pure function between what the user wrote and
// what the fault runner executes: shape (zod, unknown keys rejected), what/where pairs, overlaps,
// and the safety rule (DESIGN section 7: chaos only on what the harness started, on loopback).
// Every problem is one line naming its path, e.g. `faults[2].for: must be longer than 0`.
import { z } from 'zod';
import { ConfigError, formatPath } from '../record/configError.ts';
import { PIPELINE_COMPONENTS as COMPONENTS, type ComponentName } from '../record/contract.ts';
import { formatDuration } from '../record/duration.ts';
import { duration, typeError } from '../record/zodFields.ts';
import { ALLOW_EXEC_FLAG, EXEC_FAULT_DEFAULTS } from './execFaultDefaults.ts';
import { hostPortOfUrl, isLoopbackHost, parseHostPort } from './loopbackAddress.ts';

/** Upstreams a harness-owned Toxiproxy proxy can sit in front of. */
export const PROXY_TARGETS = ['nats', 'postgres', 'webhook'] as const;
export type ProxyTarget = (typeof PROXY_TARGETS)[number];
/** `broker` is the harness's own nats-server (faults/ownNatsServer.ts), never the machine's. */
export const FAULT_TARGETS = [...PROXY_TARGETS, ...COMPONENTS, 'broker'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

export const PROXY_FAULTS = ['latency', 'bandwidth', 'timeout', 'reset_peer', 'down'] as const;
export const PROCESS_FAULTS = ['kill', 'pause', 'restart'] as const;
export const FAULT_KINDS = [...PROXY_FAULTS, ...PROCESS_FAULTS, 'pg_terminate', 'sink_fail', 'exec'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Which targets each kind of fault makes sense on (exec's `where` is the user's own label). */
const TARGETS_OF: Record<Exclude<FaultKind, 'exec'>, readonly FaultTarget[]> = {
  latency: PROXY_TARGETS,
  bandwidth: PROXY_TARGETS,
  timeout: PROXY_TARGETS,
  reset_peer: PROXY_TARGETS,
  down: PROXY_TARGETS,
  kill: [...COMPONENTS, 'broker'],
  pause: [...COMPONENTS, 'broker'],
  restart: [...COMPONENTS, 'broker'],
  pg_terminate: ['postgres'],
  sink_fail: ['sink'],
};

const wholeMs = (min: number, max: number) =>
  z
    .number({ error: typeError('must be a number of milliseconds') })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
/** A share of connections (toxicity) or of requests: 0 hits nothing, so toxics need more. */
const toxicShare = z
  .number({ error: typeError('must be a number') })
  .refine((n) => n > 0 && n <= 1, { error: 'must be a share above 0 and at most 1' })
  .optional();

/** A shell command of an exec fault: one line, run by /bin/sh -c. */
const shellCommand = z
  .string({ error: typeError('must be a shell command string') })
  .refine((c) => c.trim() !== '', { error: 'must not be empty' })
  .refine((c) => !/[\r\n]/.test(c), { error: 'must be one line (join commands with && or ;)' });

const common = {
  /** Names the window in fault.start / fault.end events; `<what>-<where>-<index>` when omitted. */
  id: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'must be 1-64 letters, digits, ".", "_", ":" or "-"' })
    .optional(),
  /** When the window opens, counted from the start of the run. */
  at: duration(),
  for: duration({ positive: true }),
  where: z.enum(FAULT_TARGETS, { error: typeError(`must be one of ${FAULT_TARGETS.join(', ')}`) }),
};

function window<W extends Exclude<FaultKind, 'exec'>, P extends z.core.$ZodLooseShape = Record<never, never>>(
  what: W,
  params?: P,
) {
  return z.strictObject({ what: z.literal(what), ...common, ...((params ?? {}) as P) });
}

const windowSchema = z.discriminatedUnion(
  'what',
  [
    window('latency', {
      latencyMs: wholeMs(1, 600_000),
      /** Each delay is latencyMs ± jitterMs. */
      jitterMs: wholeMs(0, 600_000).default(0),
      share: toxicShare,
    }),
    window('bandwidth', {
      /** Kilobits per second (Toxiproxy gets KB/s: rateKbps / 8). */
      rateKbps: z
        .number({ error: typeError('must be a number of kilobits per second') })
        .min(8, { error: 'must be at least 8 (1 KB/s, the smallest rate Toxiproxy takes)' }),
      share: toxicShare,
    }),
    /** Data stops; connections close after timeoutMs (0: held until the window ends). */
    window('timeout', { timeoutMs: wholeMs(0, 3_600_000).default(0), share: toxicShare }),
    /** Connections are reset (TCP RST) at once or after timeoutMs. */
    window('reset_peer', { timeoutMs: wholeMs(0, 3_600_000).default(0), share: toxicShare }),
    window('down'),
    window('kill', {
      signal: z
        .enum(['SIGKILL', 'SIGTERM', 'SIGINT'], { error: 'must be SIGKILL, SIGTERM or SIGINT' })
        .default('SIGKILL'),
      /** Start it again when the window ends (false: it stays down for the rest of the run). */
      restart: z.boolean({ error: 'must be true or false' }).default(true),
    }),
    window('pause'),
    window('restart'),
    window('pg_terminate', {
      /** Only backends with exactly this application_name are terminated. */
      applicationName: z
        .string({ error: typeError('must be a string (a Postgres application_name)') })
        .min(1, { error: 'must not be empty' })
        .max(63, { error: 'must be at most 63 characters (Postgres truncates longer names)' }),
      /** Terminate again at this interval while the window is open; once at its start when omitted. */
      every: duration({ positive: true }).optional(),
    }),
    window('sink_fail', {
      share: z
        .number({ error: typeError('must be a number') })
        .refine((n) => n >= 0 && n <= 1, { error: 'must be a share from 0 to 1' }),
    }),
    /** Commands on the user's own stack (docker compose, systemd); only with --allow-exec-faults. */
    z.strictObject({
      what: z.literal('exec'),
      id: common.id,
      at: common.at,
      for: common.for,
      /** A label for reports and the overlap rule (`compose-worker`); not a harness target. */
      where: z
        .string({ error: typeError('must be a string (a label for what the commands act on)') })
        .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'must be 1-64 letters, digits, ".", "_", ":" or "-"' })
        .default(EXEC_FAULT_DEFAULTS.where),
      /** Opens the window, e.g. `docker compose kill worker`. */
      start: shellCommand,
      /** Closes it, e.g. `docker compose start worker`; nothing runs at the end when omitted. */
      end: shellCommand.optional(),
      /** A command still running after this is killed (its whole process group). */
      timeout: duration({ positive: true }).default(EXEC_FAULT_DEFAULTS.timeoutMs),
    }),
  ],
  {
    error: (issue: { input?: unknown }) => {
      const input = issue.input;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return 'must be a fault window { what, at, for, where, ... }';
      }
      return (input as { what?: unknown }).what === undefined
        ? 'is required'
        : `must be one of ${FAULT_KINDS.join(', ')}`;
    },
  },
);

export const faultScheduleSchema = z.strictObject({
  faults: z.array(windowSchema, { error: typeError('must be an array of fault windows') }),
});

/** What a user writes in a faults file (durations as strings, defaults optional). */
export type FaultScheduleInput = z.input<typeof faultScheduleSchema>;
export type FaultWindowInput = FaultScheduleInput['faults'][number];
/** One validated window: times in ms, id and defaults filled in. */
export type FaultWindow = z.output<typeof windowSchema> & { id: string };
export type ExecFaultWindow = Extract<FaultWindow, { what: 'exec' }>;
export interface FaultSchedule {
  faults: FaultWindow[];
}

/** A typed identity for the faults file, so the editor checks it as it is written. */
export function defineFaults(schedule: FaultScheduleInput): FaultScheduleInput {
  return schedule;
}

/** What the harness itself started for this run: the only things its faults may act on. */
export interface FaultScope {
  /** Reference components the harness's supervisor started. */
  components: readonly ComponentName[];
  /** Whether the harness runs its own nats-server (`broker`). */
  ownBroker: boolean;
  /** Upstreams behind the harness's own Toxiproxy proxies: target → upstream host:port. */
  proxied: Partial<Record<ProxyTarget, string>>;
  /** application_name of the Postgres clients the harness started: the only ones pg_terminate may end. */
  applications: readonly string[];
  /** The Postgres pg_terminate connects to (must be loopback); pg_terminate is refused without it. */
  postgresUrl?: string;
  /** The run's length: a window opening after it would never run. */
  runDurationMs?: number;
  /** `--allow-exec-faults` was given: exec faults may run their commands. */
  allowExec?: boolean;
}

/** Param keys and the kinds they belong to, so a misplaced one says where it does belong. */
const PARAM_KINDS: Record<string, FaultKind[]> = {
  latencyMs: ['latency'],
  jitterMs: ['latency'],
  rateKbps: ['bandwidth'],
  timeoutMs: ['timeout', 'reset_peer'],
  share: ['latency', 'bandwidth', 'timeout', 'reset_peer', 'sink_fail'],
  signal: ['kill'],
  restart: ['kill'],
  applicationName: ['pg_terminate'],
  every: ['pg_terminate'],
  start: ['exec'],
  end: ['exec'],
  timeout: ['exec'],
};

/** Returns the schedule (times in ms, ids filled in) or throws a one-line ConfigError naming the path. */
export function validateFaults(input: unknown, scope: FaultScope): FaultSchedule {
  const parsed = faultScheduleSchema.safeParse(input);
  if (!parsed.success) throw toError(parsed.error.issues[0], input);
  const faults: FaultWindow[] = parsed.data.faults.map((w, i) => ({
    ...w,
    id: w.id ?? `${w.what}-${w.where}-${i}`,
  }));

  const ids = new Map<string, number>();
  faults.forEach((w, i) => {
    const path = `faults[${i}]`;
    if (w.what === 'exec') {
      if (!scope.allowExec) {
        throw new ConfigError(
          `${path}.what`,
          `exec faults run commands on this machine; pass ${ALLOW_EXEC_FLAG} to allow them`,
        );
      }
    } else if (!TARGETS_OF[w.what].includes(w.where)) {
      const fits = TARGETS_OF[w.what];
      throw new ConfigError(
        `${path}.where`,
        `${w.what} does not apply to ${w.where} (use ${fits.join(', ')})`,
      );
    }
    const seen = ids.get(w.id);
    if (seen !== undefined)
      throw new ConfigError(`${path}.id`, `"${w.id}" is already the id of faults[${seen}]`);
    ids.set(w.id, i);
    if (scope.runDurationMs !== undefined && w.at >= scope.runDurationMs) {
      throw new ConfigError(
        `${path}.at`,
        `opens after the run ends (${formatDuration(scope.runDurationMs)}), so it would never run`,
      );
    }
    if (w.what !== 'exec') checkScope(w, path, scope);
  });

  // Two windows on one target would undo each other's effect (a restore ends the other's fault).
  faults.forEach((w, i) => {
    faults.forEach((other, j) => {
      if (j >= i || other.where !== w.where) return;
      if (w.at < other.at + other.for && other.at < w.at + w.for) {
        throw new ConfigError(
          `faults[${i}]`,
          `overlaps faults[${j}] (${other.id}, ${formatDuration(other.at)}-${formatDuration(other.at + other.for)}) on ${w.where}; windows on one target must not overlap`,
        );
      }
    });
  });
  return { faults };
}

/** The safety rule: a fault acts only on what the harness started, and only on loopback. */
function checkScope(w: Exclude<FaultWindow, ExecFaultWindow>, path: string, scope: FaultScope): void {
  const where = w.where;
  if ((PROXY_FAULTS as readonly string[]).includes(w.what)) {
    const upstream = scope.proxied[where as ProxyTarget];
    if (upstream === undefined) {
      const have = Object.keys(scope.proxied);
      throw new ConfigError(
        `${path}.where`,
        `the harness has no proxy in front of ${where} (proxied: ${have.length ? have.join(', ') : 'none'}); faults act only on what the harness started`,
      );
    }
    let host: string;
    try {
      host = parseHostPort(upstream).host;
    } catch (err) {
      throw new ConfigError(`${path}.where`, `${where} upstream: ${(err as Error).message}`);
    }
    if (!isLoopbackHost(host)) {
      throw new ConfigError(
        `${path}.where`,
        `${where} upstream ${upstream} is not a loopback address; faults stay on this machine`,
      );
    }
    return;
  }
  if (where === 'broker') {
    if (!scope.ownBroker) {
      throw new ConfigError(
        `${path}.where`,
        'the harness did not start its own nats-server, and never faults one it did not start',
      );
    }
    return;
  }
  if ((COMPONENTS as readonly string[]).includes(where)) {
    if (!scope.components.includes(where as ComponentName)) {
      throw new ConfigError(
        `${path}.where`,
        `the harness did not start ${where} (started: ${scope.components.length ? scope.components.join(', ') : 'none'}); faults act only on what the harness started`,
      );
    }
    return;
  }
  if (w.what === 'pg_terminate') {
    const app = w.applicationName;
    if (!scope.applications.includes(app)) {
      throw new ConfigError(
        `${path}.applicationName`,
        `"${app}" is not an application the harness started (${scope.applications.length ? scope.applications.join(', ') : 'none'}); faults act only on what the harness started`,
      );
    }
    if (scope.postgresUrl === undefined) {
      throw new ConfigError(`${path}.where`, 'the harness has no Postgres admin connection for pg_terminate');
    }
    let host: string;
    try {
      host = hostPortOfUrl(scope.postgresUrl).host;
    } catch {
      throw new ConfigError(`${path}.where`, 'the Postgres admin URL is not a URL');
    }
    if (!isLoopbackHost(host)) {
      throw new ConfigError(
        `${path}.where`,
        `Postgres at ${host} is not a loopback address; faults stay on this machine`,
      );
    }
  }
}

type Issue = z.core.$ZodIssue;

function toError(issue: Issue | undefined, input: unknown): ConfigError {
  if (issue === undefined) return new ConfigError('faults', 'is not valid');
  if (issue.path.length === 0) {
    if (issue.code === 'unrecognized_keys') {
      return new ConfigError(String(issue.keys[0] ?? ''), 'unknown key (the file exports { faults: [...] })');
    }
    return new ConfigError('faults', 'the file must export defineFaults({ faults: [...] })');
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const path = formatPath([...issue.path, key]);
    const kinds = PARAM_KINDS[key];
    const what = whatAt(input, issue.path);
    if (kinds && what !== undefined)
      return new ConfigError(path, `does not apply to ${what} (only ${kinds.join(', ')})`);
    return new ConfigError(path, 'unknown key (typo?)');
  }
  return new ConfigError(formatPath(issue.path), issue.message);
}

function whatAt(input: unknown, path: readonly PropertyKey[]): string | undefined {
  let node: unknown = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  const what = typeof node === 'object' && node !== null ? (node as { what?: unknown }).what : undefined;
  return typeof what === 'string' ? what : undefined;
}
