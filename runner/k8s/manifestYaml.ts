// Kubernetes objects as one multi-document YAML file, written without a YAML library (the `yaml`
// package is a dev dependency; tests parse this output with it). Every string is a JSON string,
// which YAML reads as a double-quoted scalar, except multi-line text (the bundle, the config, the
// pods' shell scripts), written as a literal block so a person can read it in the file. Keys are
// quoted unless plainly safe, also for YAML 1.1 readers (kubectl's) that take `on` or `y` for true.

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const YAML11_WORDS = /^(y|yes|n|no|true|false|on|off|null)$/i;
/** Outside YAML's printable set, so they must be escaped in a double-quoted scalar. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/g;

function quoted(text: string): string {
  return JSON.stringify(text).replace(
    NON_PRINTABLE,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

function key(k: string): string {
  return PLAIN_KEY.test(k) && !YAML11_WORDS.test(k) ? k : quoted(k);
}

/** A literal block keeps the text exactly only when no line could be misread. */
function literalBlock(text: string): boolean {
  if (!text.includes('\n') || text.includes('\r')) return false;
  if (text.replace(NON_PRINTABLE, '') !== text || /[\u2028\u2029\u0085]/.test(text)) return false;
  const lines = text.split('\n');
  // Indentation is taken from the first line; a line of only spaces could be read as indentation.
  if (lines[0] === '' || lines[0]?.startsWith(' ')) return false;
  return lines.every((line) => line === '' || /\S/.test(line));
}

function blockHeader(text: string): string {
  if (!text.endsWith('\n')) return '|-';
  return text.endsWith('\n\n') ? '|+' : '|';
}

/** The lines of a literal block's text, indented. */
function block(text: string, indent: string, out: string[]): void {
  const body = text.replace(/\n+$/, '');
  const trailing = text.length - body.length;
  for (const line of body.split('\n')) out.push(line === '' ? '' : `${indent}${line}`);
  // |+ keeps the newlines after the last line: all but the one ending that line are empty lines.
  for (let n = 1; n < trailing; n++) out.push('');
}

function scalar(v: unknown, where: string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quoted(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new Error(`manifest ${where}: ${String(v)} cannot be written as YAML`);
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === 'object' && Object.keys(v).length === 0;
}

function isCollection(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

function lines(v: unknown, indent: string, where: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) {
      if (isCollection(item) && !isEmpty(item)) {
        const inner: string[] = [];
        lines(item, `${indent}  `, `${where}[${i}]`, inner);
        // The first line of the item goes after the dash.
        out.push(`${indent}- ${(inner[0] ?? '').trimStart()}`, ...inner.slice(1));
      } else if (typeof item === 'string' && literalBlock(item)) {
        // The form of `args: - |` scripts in most manifests: the text two columns right of the dash.
        out.push(`${indent}- ${blockHeader(item)}`);
        block(item, `${indent}  `, out);
      } else {
        out.push(
          `${indent}- ${isCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item, where)}`,
        );
      }
    }
    return;
  }
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    if (value === undefined) continue;
    const at = `${where}.${k}`;
    if (isCollection(value)) {
      if (isEmpty(value)) out.push(`${indent}${key(k)}: ${Array.isArray(value) ? '[]' : '{}'}`);
      else {
        out.push(`${indent}${key(k)}:`);
        lines(value, Array.isArray(value) ? indent : `${indent}  `, at, out);
      }
    } else if (typeof value === 'string' && literalBlock(value)) {
      out.push(`${indent}${key(k)}: ${blockHeader(value)}`);
      block(value, `${indent}  `, out);
    } else {
      out.push(`${indent}${key(k)}: ${scalar(value, at)}`);
    }
  }
}

/** One YAML document per object, `---` between them, optional `#` comment lines first. */
export function manifestYaml(objects: readonly object[], comments: readonly string[] = []): string {
  const head = comments.map((c) => (c === '' ? '#' : `# ${c}`));
  const docs = objects.map((o, i) => {
    const out: string[] = [];
    if (isEmpty(o)) out.push(Array.isArray(o) ? '[]' : '{}');
    else lines(o, '', `[${i}]`, out);
    return `${out.join('\n')}\n`;
  });
  return `${head.length > 0 ? `${head.join('\n')}\n` : ''}${docs.map((d) => `---\n${d}`).join('')}`;
}
