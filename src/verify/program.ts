import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from '../util/zod.js';
import { expandHome } from '../util/paths.js';
import type { Runner } from '../util/process.js';
import { defineVerify, VERIFY_TIMEOUT_MS } from './types.js';

/** A `program:` verify item, rendered: a tiny program that must compile, link, run and print `expect`. */
export interface ProgramCheck {
  source: string;
  language: 'c' | 'c++';
  flags: string[];
  expect?: string;
  timeoutMs: number;
}

export type ProgramOutcome =
  { ok: true; output: string } | { ok: false; stage: 'compiler' | 'compile' | 'run' | 'output'; message: string };

const COMPILER = { c: 'cc', 'c++': 'c++' } as const;
const EXT = { c: 'c', 'c++': 'cpp' } as const;
const words = (s: string): string => s.trim().split(/\s+/).join(' ');

/** The line of compiler or loader output that says what went wrong: the first `error`, else the last line. */
function telling(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  // The linker's own line (`cannot find -lfoo`, `undefined reference to …`) says more than collect2's summary.
  const line =
    lines.find((l) => /cannot find -l|undefined reference to|No such file or directory/.test(l)) ??
    lines.find((l) => /\berror\b/i.test(l)) ??
    lines.at(-1) ??
    '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * Compiles `source` with the host's `cc` / `c++` and the item's flags in a temporary folder (outside
 * HOME, removed after), runs it, and compares its output with `expect` (whitespace-insensitive, contained).
 * The program runs in doctor's own environment: a library that only works with LD_LIBRARY_PATH set fails
 * here exactly when it would fail for the user.
 */
export async function checkProgram(p: ProgramCheck, runner: Runner): Promise<ProgramOutcome> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envkit-verify-'));
  try {
    const src = path.join(dir, `main.${EXT[p.language]}`);
    const exe = path.join(dir, 'main');
    await fs.writeFile(src, p.source);
    const cc = await runner.run({
      argv: [COMPILER[p.language], src, '-o', exe, ...p.flags],
      cwd: dir,
      timeoutMs: 60_000,
    });
    if (cc.spawnError)
      return {
        ok: false,
        stage: 'compiler',
        message: `no ${p.language === 'c' ? 'C' : 'C++'} compiler (${COMPILER[p.language]}) on PATH`,
      };
    if (cc.exitCode !== 0)
      return {
        ok: false,
        stage: 'compile',
        message: `does not build: ${telling(`${cc.stderr}\n${cc.stdout}`) || `${COMPILER[p.language]} exited ${cc.exitCode ?? cc.signal}`}`,
      };
    const r = await runner.run({ argv: [exe], cwd: dir, timeoutMs: p.timeoutMs });
    if (r.timedOut) return { ok: false, stage: 'run', message: `builds, but did not finish in ${p.timeoutMs / 1000}s` };
    if (r.exitCode !== 0)
      return {
        ok: false,
        stage: 'run',
        message: `builds, but ${r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`}${telling(r.stderr) ? `: ${telling(r.stderr)}` : ''}`,
      };
    const out = words(r.stdout);
    if (p.expect !== undefined && !out.includes(words(p.expect)))
      return {
        ok: false,
        stage: 'output',
        message: `runs, but printed "${out.slice(0, 120)}", wants "${words(p.expect)}"`,
      };
    return { ok: true, output: out };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

interface ProgramItem {
  program: string;
  language?: 'c' | 'c++';
  flags?: string[];
  expect?: string;
}

/** `program:` a tiny program compiles, links, runs and prints `expect`: a library works, not only its files exist. */
export const programVerify = defineVerify<ProgramItem>({
  kind: 'program',
  shape: {
    program: z
      .string()
      .min(1)
      .meta({
        description:
          'A tiny program that must compile, link, run and print `expect`: proves a library works, not only that its files exist. Built in a temporary folder with the host’s `cc` (or `c++`) and `flags`, run in doctor’s environment.',
        examples: [
          '#include <cblas.h>\n#include <stdio.h>\nint main(void) { double a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, c[4] = {0};\n  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2);\n  printf("%g %g %g %g\\n", c[0], c[1], c[2], c[3]); return 0; }\n',
        ],
      }),
    language: z
      .enum(['c', 'c++'])
      .optional()
      .meta({ description: 'The program’s language (default c).', examples: ['c++'] }),
    flags: z
      .array(z.string().min(1))
      .optional()
      .meta({
        description:
          'Compiler and linker arguments after the source file, one argument each (no shell; one starting with ~/ is under your home folder).',
        examples: [['-I{{ prefix }}/include', '-L{{ prefix }}/lib', '-Wl,-rpath,{{ prefix }}/lib', '-lopenblas']],
      }),
    expect: z
      .string()
      .optional()
      .meta({
        description: 'Text its output must contain (whitespace-insensitive); without it, exit 0 is enough.',
        examples: ['19 22 43 50'],
      }),
  },
  label: (i) =>
    `a ${String(i.language ?? 'c')} program${i.flags ? ` (${i.flags.filter((f) => f.startsWith('-l')).join(' ')})` : ''}`,
  async run(item, env, fix) {
    const r = await checkProgram(
      {
        source: item.program,
        language: item.language ?? 'c',
        flags: (item.flags ?? []).map((p) => expandHome(p, env.paths.home)),
        expect: item.expect,
        timeoutMs: VERIFY_TIMEOUT_MS,
      },
      env.runner,
    );
    if (r.ok)
      return {
        status: 'ok',
        message:
          item.expect === undefined
            ? 'builds and runs'
            : `builds, runs, prints ${JSON.stringify(r.output.length > 60 ? `${r.output.slice(0, 60)}…` : r.output)}`,
      };
    return { status: 'fail', message: r.message, fix: r.stage === 'compiler' ? 'setup run build-tools' : fix };
  },
});
