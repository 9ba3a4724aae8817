// One error for every reader of a run-folder file (hlog, series, accepted log, dataset): it names
// the file and the 1-based line, so a user reads "file: line N: reason" and the CLI exits 2.
// `lastLine` marks a line that is the file's last and has no newline: what a crash mid-write leaves,
// which reports render as partial instead of refusing (issue 9, item 8).
export class RecordFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
    readonly lastLine = false,
  ) {
    super(`${source}: line ${line}: ${reason}`);
    this.name = new.target.name;
  }
}
