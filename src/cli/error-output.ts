import { EnvkitError, ExitCode, InputError, formatProblem } from '../util/errors.js';
import { redact } from '../util/redact.js';
import { sanitize } from '../util/terminal.js';
import { systemErrorMessage } from '../util/system-error.js';
import { WriteFailed } from '../util/verified-write.js';

/** stderr, with secrets masked and control characters shown escaped (no colour here). */
export function err(text: string): void {
  process.stderr.write(sanitize(redact(text)));
}

/** Known errors (and a write the disk refused, the original kept): their message (every problem, one line each) and exit code; others: a bug, with a stack on -v. */
export function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof InputError) {
    for (const p of e.problems) err(formatProblem(p) + '\n');
    const n = e.problems.filter((p) => p.severity === 'error').length;
    if (n > 1) err(`${n} errors\n`);
  } else if (e instanceof EnvkitError || e instanceof WriteFailed) {
    err(`setup: error: ${e.message}${e.hint ? ` (${e.hint})` : ''}\n`);
  } else if (systemErrorMessage(e)) {
    const { message, hint } = systemErrorMessage(e)!;
    err(`setup: error: ${message}${hint ? ` (${hint})` : ''}\n`);
  } else {
    err(`setup: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!verbose) err('  (run again with --verbose for the stack trace, and please report it)\n');
  }
  if (verbose && e instanceof Error && e.stack) err(e.stack + '\n');
  return e instanceof EnvkitError ? e.exitCode : ExitCode.failed;
}
