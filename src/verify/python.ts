import { existsSync } from 'node:fs';
import * as z from '../util/zod.js';
import { venvPython } from '../steps/python.js';
import type { StepEnv } from '../steps/types.js';
import { expandHome } from '../util/paths.js';
import { which } from '../util/which.js';
import { defineVerify, VERIFY_TIMEOUT_MS, type VerifyResult } from './types.js';

/** The python a `python:` or `pip:` item asks: its venv's, else python3 on PATH; or why there is none. */
export function itemPython(venv: string | undefined, env: StepEnv, fix: string): { exe: string } | VerifyResult {
  const exe = venv ? venvPython(expandHome(venv, env.paths.home)) : which('python3', env.processEnv.PATH);
  if (!exe || !existsSync(exe))
    return { status: 'fail', message: venv ? `${venv} has no python` : 'python3 is not on PATH', fix };
  return { exe };
}

/** `python:` a module imports (with a venv's python, or python3 on PATH). */
export const pythonVerify = defineVerify<{ python: string; venv?: string }>({
  kind: 'python',
  shape: {
    python: z
      .string()
      .min(1)
      .meta({ description: 'A Python module that must import, e.g. "torch".', examples: ['torch', 'faiss'] }),
    venv: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: "Import it with this venv's python (default: python3 on PATH; ~/ allowed).",
        examples: ['~/venvs/nlp'],
      }),
  },
  label: (i) => `import ${String(i.python)}`,
  async run(item, env, fix) {
    const found = itemPython(item.venv, env, fix);
    if (!('exe' in found)) return found;
    const { exe } = found;
    const mod = item.python;
    if (!/^[A-Za-z_][\w.]*$/.test(mod))
      return {
        status: 'fail',
        message: `"${mod}" is not a module name`,
        fix: "correct the recipe's verify item: python: takes a module name (numpy, numpy.linalg)",
      };
    const r = await env.runner.run({
      argv: [exe, '-c', `import ${mod}`],
      cwd: env.paths.home,
      timeoutMs: VERIFY_TIMEOUT_MS,
    });
    if (r.spawnError) return { status: 'fail', message: r.spawnError, fix };
    if (r.exitCode === 0) return { status: 'ok', message: `imports (${exe.replace(env.paths.home, '~')})` };
    const why = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 160);
    return { status: 'fail', message: `does not import${why ? `: ${why}` : ''}`, fix };
  },
});
