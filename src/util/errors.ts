/** Exit codes of the `setup` command (docs/cli.md; docs/architecture.md, "Habits the code keeps"). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalid: 2,
  pending: 3,
  warnings: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A position in a source file, 1-based line and column. */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

/** One problem found in user input: where, what, and (optionally) how to fix it. */
export interface Problem {
  loc?: Loc;
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
}

/** Formats a problem compiler-style: `path:line:col: error: message (hint)`. */
export function formatProblem(p: Problem): string {
  const where = p.loc ? `${p.loc.file}:${p.loc.line}:${p.loc.col}: ` : '';
  const hint = p.hint ? ` (${p.hint})` : '';
  return `${where}${p.severity}: ${p.message}${hint}`;
}

/** Base class of every error the tool knows how to explain; the CLI renders it without a stack. */
export class EnvkitError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
    readonly hint?: string,
    readonly loc?: Loc,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid user input (recipes, flags, profiles, config): exit 2 with every problem listed. */
export class InputError extends EnvkitError {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'), ExitCode.invalid);
  }
}

/** A usage mistake on the command line (unknown recipe, malformed --set …): exit 2. */
export class UsageError extends EnvkitError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.invalid, hint);
  }
}

/** The user pressed Ctrl-C or the process got SIGTERM: exit 130. */
export class InterruptedError extends EnvkitError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
  }
}
