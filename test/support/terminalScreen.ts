// What a terminal shows after it is sent `output`: a small screen model for the escape codes a
// redrawing CLI uses (cursor moves, line and screen erases; private modes ignored), so tests can
// assert the screen a person sees rather than the bytes that drew it.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape byte is this module's job
const CSI = /^\x1b\[([?0-9;]*)([A-Za-z])/;

export function renderScreen(output: string, columns: number): string[] {
  const rows: string[][] = [];
  let row = 0;
  let col = 0;
  const line = (r: number) => {
    while (rows.length <= r) rows.push([]);
    return rows[r] as string[];
  };
  let i = 0;
  while (i < output.length) {
    const ch = output[i] as string;
    if (ch === '\x1b') {
      const match = CSI.exec(output.slice(i, i + 32));
      if (!match) {
        i += 2; // a two-byte escape (ESC 7, ESC 8, ...): nothing this model draws
        continue;
      }
      i += match[0].length;
      const [, params = '', final] = match;
      if (params.startsWith('?')) continue; // cursor visibility, synchronized output
      const nums = params.split(';').map((p) => (p === '' ? undefined : Number(p)));
      const n = nums[0] ?? 1;
      const cells = line(row);
      switch (final) {
        case 'A':
          row = Math.max(0, row - n);
          break;
        case 'B':
          row += n;
          break;
        case 'C':
          col = Math.min(columns - 1, col + n);
          break;
        case 'D':
          col = Math.max(0, col - n);
          break;
        case 'G':
          col = Math.max(0, n - 1);
          break;
        case 'H':
        case 'f':
          row = Math.max(0, n - 1);
          col = Math.max(0, (nums[1] ?? 1) - 1);
          break;
        case 'K': {
          const mode = nums[0] ?? 0;
          if (mode === 2) cells.length = 0;
          else if (mode === 1) for (let c = 0; c <= col && c < cells.length; c++) cells[c] = ' ';
          else cells.length = Math.min(cells.length, col);
          break;
        }
        case 'J': {
          const mode = nums[0] ?? 0;
          if (mode === 2 || mode === 3) rows.length = 0;
          else {
            cells.length = Math.min(cells.length, col);
            rows.length = Math.min(rows.length, row + 1);
          }
          break;
        }
        default:
          break; // colours and the like do not move anything
      }
      continue;
    }
    i += 1;
    if (ch === '\r') col = 0;
    else if (ch === '\n') row += 1;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch >= ' ') {
      if (col >= columns) {
        row += 1;
        col = 0;
      }
      const cells = line(row);
      while (cells.length < col) cells.push(' ');
      cells[col] = ch;
      col += 1;
    }
  }
  const text = rows.map((cells) => cells.join('').trimEnd());
  while (text.length > 0 && text.at(-1) === '') text.pop();
  return text;
}
