// zod building blocks shared by the config and the fault schedule, so both word errors alike.
import { z } from 'zod';
import { parseDuration } from './duration.ts';

/** Missing fields say so; present ones of the wrong type say what they must be. */
export function typeError(expected: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : expected);
}

/** A duration string (`500ms`, `30s`, `5m`, `2h`) → ms; `positive` rejects 0. */
export function duration(options: { positive?: boolean } = {}) {
  return z
    .string({ error: typeError('must be a duration string such as 500ms, 30s, 5m or 2h') })
    .transform((text, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
      if (options.positive && ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be longer than 0 (got "${text}")` });
        return z.NEVER;
      }
      return ms;
    });
}
