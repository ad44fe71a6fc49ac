import { ExitCode } from '../util/errors.js';
import { packageVersion } from '../util/paths.js';
import type { CommandName } from './command.js';
import { describeProgram } from './describe.js';
import { err, reportError } from './error-output.js';

/**
 * The command line: parses it, prints help and usage errors, and hands the command to the engine
 * (engine.ts), which runs it and reports what it throws. The one place that sets the exit code (docs/architecture.md).
 */
async function main(argv: string[]): Promise<number> {
  const version = packageVersion();
  const args = argv.slice(2);
  // (`setup --version` alone is answered by bin/setup before this bundle is even loaded.)
  const { buildProgram } = await import('./program.js');
  const { CommanderError } = await import('commander');
  let job: { command: CommandName; args: string[]; opts: Record<string, unknown> } | undefined;
  const program = buildProgram(version, (command, a, opts) => (job = { command, args: a, opts }));
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => err(s), writeOut: (s) => process.stdout.write(s) });
  const verbose = args.includes('-v') || args.includes('--verbose');
  try {
    await program.parseAsync(argv);
    if (!job) {
      program.outputHelp();
      return ExitCode.invalid;
    }
    const { runCommand } = await import('./engine.js');
    return await runCommand(job.command, job.args, job.opts, { cli: () => describeProgram(program) });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
        ? ExitCode.ok
        : ExitCode.invalid;
    }
    return reportError(e, verbose);
  }
}

// `setup list | head -1`: a closed pipe ends the output, quietly, as for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e, true);
  },
);
