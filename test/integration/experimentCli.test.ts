import { describe, expect, it } from 'vitest';
import { describeExperiments } from '../../faults/experiments/experiments.ts';
import { cli } from '../support/cli.ts';

describe('experiment cli', () => {
  it('experiment cli - --list prints every experiment, what it does and what it expects', async () => {
    const result = await cli('experiment', '--list');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${describeExperiments().join('\n')}\n`);
    expect(result.stdout).toContain('broker-pause        SIGSTOP the harness');
  }, 60_000);

  it('experiment cli - no name and no --list, or an unknown name, is a usage error', async () => {
    const bare = await cli('experiment');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe('pipesoak: name an experiment, or give --list\n');
    const unknown = await cli('experiment', 'disk-full');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^pipesoak: Invalid values: Argument: name, Given: "disk-full", Choices: "worker-crash"/,
    );
  }, 60_000);
});
