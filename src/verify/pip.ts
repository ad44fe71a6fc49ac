import * as z from '../util/zod.js';
import { evaluateSpecs } from '../steps/pip/evaluate.js';
import { judge } from '../steps/pip/judge.js';
import { itemPython } from './python.js';
import { defineVerify } from './types.js';

/** `pip:` a requirement is satisfied (with a venv's python, or python3 on PATH). */
export const pipVerify = defineVerify<{ pip: string; venv?: string }>({
  kind: 'pip',
  shape: {
    pip: z
      .string()
      .min(1)
      .meta({
        description: 'A requirement that must be satisfied, e.g. "torch>=2.1".',
        examples: ['torch>=2.1', 'transformers==4.41.2'],
      }),
    venv: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: "Check this venv's packages (default: python3 on PATH; ~/ allowed).",
        examples: ['~/venvs/nlp'],
      }),
  },
  label: (i) => `pip ${String(i.pip)}`,
  async run(item, env, fix) {
    const found = itemPython(item.venv, env, fix);
    if (!('exe' in found)) return found;
    const { exe } = found;
    const ev = await evaluateSpecs(exe, [item.pip], env);
    if (ev instanceof Error) return { status: 'warn', message: `could not tell: ${ev.message}`, fix };
    const c = judge([item.pip], ev, { where: exe, warnExternallyManaged: false });
    return {
      status: c.state === 'satisfied' ? 'ok' : c.state === 'unknown' ? 'warn' : 'fail',
      message: c.reason,
      ...(c.state === 'satisfied' ? {} : { fix }),
    };
  },
});
