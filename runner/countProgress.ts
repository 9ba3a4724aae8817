// Progress of long counted work on stderr: a line rewritten in place on a terminal, otherwise a
// line every tenth (CI logs and pipes stay short). Short work prints nothing.

export interface CountProgress {
  update(done: number): void;
  /** Ends the terminal line; call once when the work is done. */
  end(): void;
}

const PROGRESS_THRESHOLD = 100_000;

export function countProgress(
  label: string,
  total: number,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  threshold = PROGRESS_THRESHOLD,
): CountProgress {
  if (total <= threshold) return { update() {}, end() {} };
  const tty = out.isTTY === true;
  const step = tty ? 1 : 10; // percent between reports
  const started = performance.now();
  let reported = 0;
  const line = (done: number, pct: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    return `${label}: ${pct}% (${done}/${total}, ${rate}/s)`;
  };
  return {
    update(done) {
      const pct = Math.floor((done / total) * 100);
      if (pct < reported + step) return;
      reported = pct - (pct % step);
      out.write(tty ? `\r${line(done, pct)}` : `${line(done, pct)}\n`);
    },
    end() {
      if (tty && reported > 0) out.write('\n');
    },
  };
}
