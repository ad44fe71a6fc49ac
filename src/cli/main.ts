import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvkitError, ExitCode, InputError, formatProblem } from '../errors.js';
import { packageRoot } from '../util/paths.js';
import { redact } from '../util/redact.js';

/** The one place that prints errors and exits (CONVENTIONS 6). */
async function main(argv: string[]): Promise<number> {
  const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const args = argv.slice(2);
  // (`setup --version` alone is answered by bin/setup before this bundle is even loaded.)
  const { buildProgram } = await import('./program.js');
  const { CommanderError } = await import('commander');
  let job: { load: () => Promise<{ default: (a: string[], o: never) => Promise<number> }>; args: string[]; opts: Record<string, unknown> } | undefined;
  const program = buildProgram(version, (load, a, opts) => (job = { load, args: a, opts }));
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => err(s), writeOut: (s) => process.stdout.write(s) });
  let verbose = args.includes('-v') || args.includes('--verbose');
  try {
    await program.parseAsync(argv);
    if (!job) {
      program.outputHelp();
      return ExitCode.invalid;
    }
    verbose = !!job.opts.verbose;
    const mod = await job.load();
    return await mod.default(job.args, job.opts as never);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? ExitCode.ok : ExitCode.invalid;
    }
    return reportError(e, verbose);
  }
}

/** stderr, with secrets masked. */
function err(text: string): void {
  process.stderr.write(redact(text));
}

/** Known errors: their message (every problem, one line each) and exit code; others: a bug, with a stack on -v. */
function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof InputError) {
    for (const p of e.problems) err(formatProblem(p) + '\n');
    const n = e.problems.filter((p) => p.severity === 'error').length;
    if (n > 1) err(`${n} errors\n`);
  } else if (e instanceof EnvkitError) {
    err(`setup: error: ${e.message}${e.hint ? ` (${e.hint})` : ''}\n`);
  } else {
    err(`setup: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!verbose) err('  (run again with --verbose for the stack trace, and please report it)\n');
  }
  if (verbose && e instanceof Error && e.stack) err(e.stack + '\n');
  return e instanceof EnvkitError ? e.exitCode : ExitCode.failed;
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
