// Durations in config are strings a person reads at a glance (`30s`, `5m`, `1h30m`, `250ms`);
// everything after validation works in milliseconds.

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `30s`, `5m`, `2h`, `1h30m`; throws a one-line Error on anything else. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new Error(`must not be negative (got "${text}")`);
  if (!WHOLE.test(trimmed)) {
    throw new Error(`"${text}" is not a duration (use e.g. 250ms, 30s, 5m, 2h, 1h30m)`);
  }
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  return ms;
}

/** The shortest exact form of a millisecond duration, for messages: 90000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const whole = Math.floor(rest / size);
    if (whole > 0) parts.push(`${whole}${unit}`);
    rest -= whole * size;
  }
  if (rest > 0) parts.push(`${Number(rest.toFixed(3))}ms`);
  return parts.join('');
}
