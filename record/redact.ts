// Secrets never reach a report or a log line: URL passwords and values under secret-like keys
// are replaced with `***`. Reports and logs only ever see what this returns.

const REDACTED = '***';
const SECRET_KEY = /secret|token|password|passwd|pwd|api[-_]?key|credential|authorization/i;

/** A deep copy of `value` with secrets replaced; `extraKeys` are more key-name substrings. */
export function redact<T>(value: T, extraKeys: readonly string[] = []): T {
  const extra = extraKeys.map((k) => k.toLowerCase());
  const isSecretKey = (key: string) =>
    SECRET_KEY.test(key) || extra.some((k) => key.toLowerCase().includes(k));
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactUrl(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(v)) {
        out[key] = isSecretKey(key) && inner !== undefined && inner !== null ? REDACTED : walk(inner);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** `postgres://user:pw@host/db` → `postgres://user:***@host/db`; other strings unchanged. */
export function redactUrl(text: string): string {
  // Textual, not via URL: URL would normalise the rest of the string (and reject some DSNs).
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):([^@\s/]*)@/gi, `$1:${REDACTED}@`);
}
