// One error for every reader of a run-folder file (hlog, series, accepted log, dataset): it names
// the file and the 1-based line, so a user reads "file: line N: reason" and the CLI exits 2.
// A cut last line (a crash mid-write) is handed to the reader's onCutTail instead (lineReader.ts).
export class RecordFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}: line ${line}: ${reason}`);
    this.name = new.target.name;
  }
}
