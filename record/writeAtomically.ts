// Streams text to a file through a temporary sibling and moves it into place at the end, so an
// interrupted or failed write leaves no half file, and an existing file survives unless replaced.
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The target cannot be written (exists, no such directory, no permission): the user can fix it. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}

export interface WriteTarget {
  path: string;
  /** Replace an existing file (atomically: until the new one is complete, the old one stays). */
  force?: boolean;
  /** Stops the write between chunks and removes the temporary file. */
  signal?: AbortSignal;
}

const CHUNK_CHARS = 1 << 20;

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

async function existing(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw new OutputError(`${path}: ${(err as Error).message}`);
  }
}

/** Writes every string of `parts`, in order, to `target.path`; returns the bytes written. */
export async function writeAtomically(parts: Iterable<string>, target: WriteTarget): Promise<number> {
  const { path, force = false, signal } = target;
  const before = await existing(path);
  if (before?.isDirectory()) throw new OutputError(`${path} is a directory`);
  if (before && !force) throw new OutputError(`${path} already exists; pass --force to replace it`);

  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.partial`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(temp, 'wx');
  } catch (err) {
    const why = code(err);
    if (why === 'ENOENT' && !(await existing(dir))) throw new OutputError(`directory ${dir} does not exist`);
    if (why === 'ENOTDIR') throw new OutputError(`${dir} is not a directory`);
    if (why === 'EACCES' || why === 'EPERM' || why === 'EROFS' || why === 'ENOENT')
      throw new OutputError(`cannot write in ${dir} (${why})`);
    throw new OutputError(`cannot create a file in ${dir}: ${(err as Error).message}`);
  }

  let bytes = 0;
  try {
    const flush = async (text: string) => {
      signal?.throwIfAborted();
      const buf = Buffer.from(text, 'utf8');
      for (let at = 0; at < buf.length; ) at += (await handle.write(buf, at, buf.length - at)).bytesWritten;
      bytes += buf.length;
    };
    let pending: string[] = [];
    let pendingChars = 0;
    for (const part of parts) {
      pending.push(part);
      pendingChars += part.length;
      if (pendingChars >= CHUNK_CHARS) {
        await flush(pending.join(''));
        pending = [];
        pendingChars = 0;
      }
    }
    await flush(pending.join(''));
    await handle.sync();
    await handle.close();
    signal?.throwIfAborted();
    await moveIntoPlace(temp, path, force);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return bytes;
}

async function moveIntoPlace(temp: string, path: string, force: boolean): Promise<void> {
  if (force) return rename(temp, path);
  // link() fails when the path exists: a file that appeared while we wrote is not clobbered.
  try {
    await link(temp, path);
    await unlink(temp);
    return;
  } catch (err) {
    if (code(err) === 'EEXIST') throw new OutputError(`${path} appeared while writing; it was left as it is`);
    // A file system without hard links: check, then rename (a narrow race, not an overwrite by design).
    if (await existing(path)) throw new OutputError(`${path} appeared while writing; it was left as it is`);
    await rename(temp, path);
  }
}
