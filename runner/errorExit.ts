// Turns whatever a command throws into one line and an exit code: input problems (flags, config,
// a garbled run-folder file, a zod error that slipped through) are 2, anything else is a crash,
// 3. No stack trace reaches a user unless PIPESOAK_DEBUG is set.
import { ZodError } from 'zod';
import { ConfigError, formatPath } from '../record/configError.ts';
import { RecordFormatError } from '../record/recordError.ts';
import { EXIT, type ExitCode } from './exitCodes.ts';
import { UsageError } from './usageError.ts';

export function exitFor(err: unknown): { code: ExitCode; message: string } {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof RecordFormatError) {
    return { code: EXIT.usage, message: oneLine(err.message) };
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'input' : formatPath(issue.path);
    return { code: EXIT.usage, message: oneLine(`${where}: ${issue?.message ?? 'invalid'}`) };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (process.env.PIPESOAK_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return { code: EXIT.runFailed, message: `crashed: ${oneLine(message || 'unknown error')}` };
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}
