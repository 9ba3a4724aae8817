// The one pure function between what the user wrote and what the run uses: zod parsing, then
// the SLO compile step, so every config problem surfaces before anything starts. The first
// problem wins and is reported as one line naming its field path.
import type { z } from 'zod';
import { ConfigError, formatPath } from '../../record/configError.ts';
import { compileSlos, SloCompileError } from '../../reports/sloEngine.ts';
import { type Config, configSchema } from './configSchema.ts';

/** Returns the validated config (defaults filled in, durations in ms) or throws a ConfigError. */
export function validateConfig(input: unknown): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = deepest(parsed.error.issues);
    if (issue === undefined) throw new ConfigError('', 'is not valid');
    throw toConfigError(issue);
  }
  try {
    compileSlos(parsed.data.slos);
  } catch (err) {
    if (err instanceof SloCompileError) throw new ConfigError(err.path, err.reason);
    throw err;
  }
  return parsed.data;
}

type Issue = z.core.$ZodIssue;

/** For a union (`false` or an object), the branch that got furthest says what was meant. */
function deepest(issues: readonly Issue[]): Issue | undefined {
  const first = issues[0];
  if (first === undefined || first.code !== 'invalid_union') return first;
  let best: Issue | undefined;
  for (const branch of first.errors) {
    const candidate = deepest(branch.map((i) => ({ ...i, path: [...first.path, ...i.path] })));
    if (candidate && (!best || candidate.path.length > best.path.length)) best = candidate;
  }
  // No branch got past the value itself: name what was accepted.
  if (!best || best.path.length === first.path.length) {
    return { ...first, message: 'must be false (off) or an object of objectives' } as Issue;
  }
  return best;
}

function toConfigError(issue: Issue): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return new ConfigError(formatPath([...issue.path, key]), 'unknown key (typo?)');
  }
  return new ConfigError(formatPath(issue.path), issue.message);
}
