import * as z from '../util/zod.js';
import { commandSchema } from '../lang/schema.js';
import { mapStrings } from '../lang/template.js';
import { commandArgv, commandEnv, commandText } from '../steps/command.js';
import type { Command } from '../steps/types.js';
import { parseVersion } from '../facts/parsers.js';
import { expandHome } from '../util/paths.js';
import { normalizeRange, satisfies, toSemver } from '../util/version.js';
import { defineVerify, VERIFY_TIMEOUT_MS } from './types.js';

interface CommandItem {
  /** A script resolved with its values (see renderShell), or an argv. */
  command: Command | string[] | string;
  version?: string;
}

/** A verify item's command: a script resolved with its values (see renderShell), a plain script, or an argv. */
function verifyCommand(c: unknown, home: (p: string) => string = (p) => p): Command {
  if (typeof c === 'string') return { shell: c };
  if (Array.isArray(c)) return { argv: (c as string[]).map(home) };
  return c as Command;
}

/** `command:` runs and exits 0; with `version:`, the version in its output satisfies the range. */
export const commandVerify = defineVerify<CommandItem>({
  kind: 'command',
  shape: {
    command: commandSchema,
    version: z
      .string()
      .refine((v) => v.includes('{{') || normalizeRange(v) !== null, {
        error: (iss) =>
          `version range ${JSON.stringify(iss.input)} does not parse: write e.g. ">=3.21", "^1.7", ">=3.8 <3.13"`,
      })
      .optional()
      .meta({ description: 'A version range the command’s output must satisfy, e.g. ">=3.21".', examples: ['>=3.21'] }),
  },
  // A command string runs through bash: its values are environment variables like a step's, and a value
  // starting with ~/ (a path like `venv: ~/venvs/ml`) is expanded first, as quoting keeps bash from it.
  resolve: (item, t) => ({
    ...mapStrings(item, (s) => t.str(s)),
    ...(typeof item.command === 'string' ? { command: t.sh(item.command) } : {}),
  }),
  label: (i) => commandText(verifyCommand(i.command)) + (i.version ? ` ${String(i.version)}` : ''),
  async run(item, env, fix) {
    const cmd = verifyCommand(item.command, (p) => expandHome(p, env.paths.home));
    const r = await env.runner.run({
      argv: commandArgv(cmd),
      cwd: env.paths.home,
      env: commandEnv(cmd),
      timeoutMs: VERIFY_TIMEOUT_MS,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.spawnError) return { status: 'fail', message: r.spawnError, fix };
    if (r.timedOut) return { status: 'warn', message: `no answer in ${VERIFY_TIMEOUT_MS / 1000}s`, fix };
    if (r.exitCode !== 0) {
      const first = out.trim().split('\n').pop() ?? '';
      return {
        status: 'fail',
        message: `exited ${r.exitCode ?? r.signal}${r.exitCode === 127 ? ' (command not found)' : ''}${first && r.exitCode !== 127 ? `: ${first.slice(0, 120)}` : ''}`,
        fix,
      };
    }
    const range = item.version;
    if (!range) return { status: 'ok', message: 'works' };
    const version = parseVersion(out);
    if (!version || !toSemver(version))
      return { status: 'warn', message: `works, but its output shows no version to compare with ${range}`, fix };
    return satisfies(version, range)
      ? { status: 'ok', message: `${version} (wants ${range})` }
      : { status: 'fail', message: `${version} does not satisfy ${range}`, fix };
  },
});
