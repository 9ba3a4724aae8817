// `pipesoak compile <scenario.ts…>`: bundles each scenario with esbuild (ESM, source map) and loads
// it once to check its exports, so a broken scenario is found before a run. Bad scenario: exit 2.
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../usageError.ts';

interface CompileArgs {
  scenario: string[];
  out: string;
}

export const compileCommand: CommandModule<object, CompileArgs> = {
  command: 'compile <scenario..>',
  describe: 'Bundle TypeScript scenarios into ESM files with source maps, and check their exports',
  builder: async (y: Argv) => {
    const { DEFAULT_BUNDLE_DIR } = await import('../../engine/compile/compileScenario.ts');
    return y
      .positional('scenario', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'scenario .ts files',
      })
      .option('out', { type: 'string', default: DEFAULT_BUNDLE_DIR, describe: 'folder for the bundles' })
      .example('$0 compile scenarios/steady.ts scenarios/ramp.ts --out /tmp/bundles', 'two bundles and maps')
      .epilog(
        'Writes <name>.mjs and <name>.mjs.map per scenario. A scenario that does not compile or load prints\n' +
          'file.ts:line[:col]: what is wrong, and exits 2.',
      ) as unknown as Argv<CompileArgs>;
  },
  handler: async (args) => {
    // Loaded here, not at the top, so other commands start without esbuild.
    const { bundleName, compileScenario } = await import('../../engine/compile/compileScenario.ts');
    const { loadScenario } = await import('../../engine/compile/loadScenario.ts');
    const { ScenarioError } = await import('../../engine/compile/scenarioError.ts');
    const { stat } = await import('node:fs/promises');
    if (args.out.trim() === '') throw new UsageError('--out must name a folder');
    const names = new Map<string, string>();
    for (const s of args.scenario) {
      const clash = names.get(bundleName(s));
      if (clash) throw new UsageError(`${clash} and ${s} would both be written as ${bundleName(s)}`);
      names.set(bundleName(s), s);
    }
    for (const s of args.scenario) {
      try {
        const { bundlePath } = await compileScenario(s, args.out);
        await loadScenario(bundlePath);
        const { size } = await stat(bundlePath);
        process.stdout.write(`${s} -> ${bundlePath} (${(size / 1024).toFixed(1)} kB)\n`);
      } catch (err) {
        if (err instanceof ScenarioError) throw new UsageError(err.message);
        throw err;
      }
    }
  },
};
