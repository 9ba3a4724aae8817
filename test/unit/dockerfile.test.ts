// The Dockerfile and .dockerignore, checked as far as a machine without a Docker engine allows:
// the instructions parsed, the base image's Node major against package.json engines, the
// entrypoint present, the lockfile in step with package.json (npm ci refuses it otherwise),
// nothing the image runs importing a dev dependency (npm ci --omit=dev leaves them out), and the
// build context without node_modules or run output. hadolint is not packaged in Debian, so it
// is not run here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K8S_DEFAULTS } from '../../runner/k8s/k8sDefaults.ts';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions: comments and blank lines dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([A-Za-z]+)\s+(.*)$/.exec(l);
      if (!m) throw new Error(`Dockerfile: "${l}" is not an instruction`);
      return { op: (m[1] as string).toUpperCase(), args: m[2] as string };
    });
}

const dockerfile = instructions(read('Dockerfile'));
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function only(op: string): Instruction {
  const found = dockerfile.filter((i) => i.op === op);
  expect(found, `one ${op}`).toHaveLength(1);
  return found[0] as Instruction;
}

/** The source files the image runs: everything but tests, benchmarks and scripts. */
function runtimeSources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return runtimeSources(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

describe('Dockerfile', () => {
  it('Dockerfile - the base image is node:<engines major>-bookworm-slim', () => {
    const from = only('FROM').args;
    const engineMajor = /(\d+)/.exec(pkg.engines.node)?.[1];
    expect(engineMajor).toBe('20');
    expect(from).toBe(`node:${engineMajor}-bookworm-slim`);
  });

  it('Dockerfile - installs from the lockfile without dev dependencies, before copying the sources', () => {
    const ops = dockerfile.map((i) => `${i.op} ${i.args}`);
    const lock = ops.indexOf('COPY package.json package-lock.json ./');
    const install = ops.findIndex((o) => /^RUN npm ci --omit=dev\b/.test(o));
    const sources = ops.indexOf('COPY . .');
    expect(lock).toBeGreaterThan(-1);
    expect(install).toBeGreaterThan(lock);
    expect(sources).toBeGreaterThan(install);
  });

  it('Dockerfile - runs as the uid of the manifests, from the folder the manifests mount into', () => {
    expect(only('USER').args).toBe('node');
    // The node user of the official node images is uid 1000.
    expect(K8S_DEFAULTS.uid).toBe(1000);
    expect(only('WORKDIR').args).toBe(K8S_DEFAULTS.appDir);
  });

  it('Dockerfile - the entrypoint is node runner/pipesoak.mjs, which exists', () => {
    const entrypoint = JSON.parse(only('ENTRYPOINT').args) as string[];
    expect(entrypoint).toEqual(['node', 'runner/pipesoak.mjs']);
    expect(existsSync(join(ROOT, entrypoint[1] as string))).toBe(true);
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it('Dockerfile - package-lock.json holds exactly the dependencies of package.json', () => {
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<
        string,
        { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
      >;
    };
    expect(lock.packages['']?.dependencies).toEqual(pkg.dependencies);
    expect(lock.packages['']?.devDependencies).toEqual(pkg.devDependencies);
  });

  it('Dockerfile - nothing the image runs imports a dev dependency (type-only imports are erased)', () => {
    const dev = new Set(Object.keys(pkg.devDependencies));
    const dirs = ['runner', 'collectors', 'reports', 'generators', 'faults', 'reference', 'record', 'engine'];
    const files = dirs.filter((d) => existsSync(join(ROOT, d))).flatMap(runtimeSources);
    expect(files).toContain('runner/k8s/k8sManifests.ts');
    const offending: string[] = [];
    for (const file of files) {
      const text = read(file);
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+['"]([^'"]+)['"]/gms),
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1] as string);
      for (const s of specifiers) {
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string);
        if (dev.has(name)) offending.push(`${file}: ${s}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const entries = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('.dockerignore - leaves out node_modules, run output and build output', () => {
    for (const e of ['node_modules', 'results', 'dist', 'bin', '.git']) expect(entries).toContain(e);
  });

  it('.dockerignore - keeps what the image installs and runs', () => {
    for (const kept of [
      'package.json',
      'package-lock.json',
      'runner',
      'runner/pipesoak.mjs',
      'pipesoak.config.ts',
    ]) {
      for (const e of entries) {
        const pattern = new RegExp(`^${e.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
        expect(pattern.test(kept), `${e} would leave out ${kept}`).toBe(false);
      }
    }
  });
});
