// The config file's text as it goes into the ConfigMap: every secret the config holds (URL
// passwords, values under secret-like keys: what redact() hides) is taken out of the text and read
// from the pod's environment instead, which the Secret fills. A secret the text spells some other
// way (pieced together, in a comment) cannot be replaced safely, so that is a one-line error.

import { redact, redactUrl } from '../../record/redact.ts';
import type { Config } from '../config/configSchema.ts';
import { UsageError } from '../usageError.ts';

export interface SecretField {
  /** Where the secret sits in the config, e.g. target.databaseUrl. */
  field: string;
  /** The environment variable the pod reads it from, e.g. DATABASE_URL. */
  env: string;
}

export interface ClusterConfig {
  text: string;
  /** Secrets written in the file, now read from process.env: the Secret must hold these keys. */
  replaced: SecretField[];
  /** Secrets not written in the file (the config read them from this machine's environment). */
  fromEnvironment: string[];
}

interface Leaf {
  path: string[];
  value: string;
}

/** The string leaves of `config` that redact() changes: its secrets. */
function secretLeaves(config: Config): Leaf[] {
  const hidden = redact(config, config.secrets.redactKeys);
  const found: Leaf[] = [];
  const walk = (a: unknown, b: unknown, path: string[]) => {
    if (typeof a === 'string') {
      if (a !== b) found.push({ path, value: a });
      return;
    }
    if (a !== null && typeof a === 'object' && b !== null && typeof b === 'object') {
      for (const [k, v] of Object.entries(a)) walk(v, (b as Record<string, unknown>)[k], [...path, k]);
    }
  };
  walk(config, hidden, []);
  return found;
}

/** databaseUrl → DATABASE_URL. */
function envName(parts: readonly string[]): string {
  return parts
    .join('_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** The password inside a URL: the part redactUrl replaces. */
function urlPassword(value: string): string | undefined {
  const hidden = redactUrl(value);
  if (hidden === value) return undefined;
  let start = 0;
  while (value[start] === hidden[start]) start++;
  let end = 0;
  while (end < value.length - start && value.at(-1 - end) === hidden.at(-1 - end)) end++;
  return value.slice(start, value.length - end);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Passwords shorter than this are too likely to occur in the text by chance to look for alone.
const MIN_SEARCHED_PASSWORD = 8;

export function clusterConfig(text: string, config: Config, file: string): ClusterConfig {
  const leaves = secretLeaves(config);
  const taken = new Set<string>();
  const replaced: SecretField[] = [];
  const fromEnvironment: string[] = [];
  let out = text;
  for (const leaf of leaves) {
    const field = leaf.path.join('.');
    const literal = new RegExp(`(['"\`])${escapeRegExp(leaf.value)}\\1`, 'g');
    if (!literal.test(out)) {
      if (!out.includes(leaf.value)) fromEnvironment.push(field);
      continue;
    }
    let env = envName(leaf.path.slice(-1));
    if (taken.has(env)) env = envName(leaf.path);
    taken.add(env);
    out = out.replace(literal, `process.env.${env}`);
    replaced.push({ field, env });
  }
  for (const leaf of leaves) {
    const field = leaf.path.join('.');
    const password = urlPassword(leaf.value);
    const leaks =
      out.includes(leaf.value) ||
      (password !== undefined && password.length >= MIN_SEARCHED_PASSWORD && out.includes(password));
    if (leaks) {
      throw new UsageError(
        `config ${file}: the secret in ${field} is written in the file other than as one string literal; read it from process.env`,
      );
    }
  }
  if (redactUrl(out) !== out) {
    throw new UsageError(
      `config ${file}: holds a URL with a password (a comment or an unused value?); remove it or read it from process.env`,
    );
  }
  return { text: out, replaced, fromEnvironment };
}
