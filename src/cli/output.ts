import { Chalk, type ChalkInstance } from 'chalk';
import { redact, redactDeep } from '../util/redact.js';
import { sanitize } from '../util/terminal.js';

/** Where and how a command writes: stdout for results (JSON only with --json), stderr for the rest. */
export interface Output {
  c: ChalkInstance;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  tty: boolean;
  out(text: string): void;
  err(text: string): void;
  home: string;
}

/** Options shared by every command, as commander parses them. */
export interface GlobalOpts {
  recipes: string[];
  /** Recipe files given as arguments, set by engine.ts (recipe-args.ts), not a flag. */
  recipeFiles?: string[];
  mirror?: string;
  set: string[];
  prefix?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/** Builds the output for this invocation; colour follows --no-color, NO_COLOR, FORCE_COLOR and the TTY. */
export function makeOutput(opts: Partial<GlobalOpts>, env = process.env): Output {
  const tty = !!process.stdout.isTTY;
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const off =
    opts.color === false ||
    (env.NO_COLOR !== undefined && env.NO_COLOR !== '') ||
    env.FORCE_COLOR === '0' ||
    env.FORCE_COLOR === 'false';
  const level = off ? 0 : forced || tty ? (env.COLORTERM === 'truecolor' ? 3 : 2) : 0;
  // Every line goes through sanitize (util/terminal.ts): no control byte from a recipe or a step's
  // output reaches the terminal; our own colour codes stay when colour is on.
  const clean = (t: string, json: boolean): string =>
    sanitize(redact(t.endsWith('\n') ? t : t + '\n'), { keepColour: level > 0, json });
  return {
    c: new Chalk({ level }),
    json: !!opts.json,
    quiet: !!opts.quiet,
    verbose: !!opts.verbose,
    tty,
    out: (t) => void process.stdout.write(clean(t, !!opts.json)),
    err: (t) => void process.stderr.write(clean(t, false)),
    home: env.HOME ?? '',
  };
}

/** Shortens the home folder to `~` in text meant for people. */
export function tilde(o: Output, s: string): string {
  return o.home && o.home !== '/' ? s.split(o.home + '/').join('~/') : s;
}

/** Writes a JSON document (the documented, versioned shape) to stdout. */
export function writeJson(o: Output, kind: string, body: object): void {
  o.out(JSON.stringify(redactDeep({ kind, version: 1, ...body }), null, 2));
}
