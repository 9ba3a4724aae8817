import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, writeState } from '../../runner/referenceState.ts';
import { UsageError } from '../../runner/usageError.ts';

describe('reference state', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reference state - reads back what was written, and no file is no state', async () => {
    expect(readState(dir)).toBeUndefined();
    const state = { supervisorPid: 4242, startedAt: '2026-01-01T00:00:00.000Z', components: [] };
    await writeState(dir, state);
    expect(readState(dir)).toEqual(state);
  });

  it('reference state - a corrupt state file is an error naming it, never "no state"', () => {
    const path = join(dir, 'reference.json');
    writeFileSync(path, '{"supervisorPid": 42, "compo');
    expect(() => readState(dir)).toThrow(UsageError);
    expect(() => readState(dir)).toThrow(`${path} is not valid JSON`);
    writeFileSync(path, '{"startedAt": "x"}');
    expect(() => readState(dir)).toThrow(`${path} lacks supervisorPid or components`);
  });
});
