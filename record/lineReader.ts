// Streams the lines of a run-folder file a chunk at a time. The last line is marked `cut` when the
// file does not end in a newline: a writer that died mid-line leaves exactly that, and readers
// may then report the run as partial instead of refusing the whole file.
import { createReadStream } from 'node:fs';

export interface FileLine {
  text: string;
  /** 1-based. */
  lineNo: number;
  /** The file's last line, with no newline after it. */
  cut: boolean;
}

// Large chunks: a 24 h hlog is hundreds of MB of long lines.
const READ_CHUNK_BYTES = 1 << 20;

export async function* readLines(path: string): AsyncGenerator<FileLine> {
  let rest = '';
  let lineNo = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: READ_CHUNK_BYTES })) {
    const text = rest + (chunk as string);
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl !== -1; nl = text.indexOf('\n', from)) {
      lineNo++;
      const end = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { text: text.slice(from, end), lineNo, cut: false };
      from = nl + 1;
    }
    rest = text.slice(from);
  }
  if (rest !== '') yield { text: rest, lineNo: lineNo + 1, cut: true };
}

/** What a reader does with a cut last line that does not parse; without it, that line is an error. */
export interface CutTailOptions {
  onCutTail?: (error: CutTail) => void;
}

export interface CutTail {
  source: string;
  line: number;
  reason: string;
}

/** For readers that follow one which already noted the cut (charts, recovery): skip it quietly. */
export const SKIP_CUT_TAIL: CutTailOptions = { onCutTail: () => undefined };
