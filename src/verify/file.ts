import fs from 'node:fs/promises';
import * as z from '../util/zod.js';
import { expandHome } from '../util/paths.js';
import { defineVerify } from './types.js';

/** `file:` exists. */
export const fileVerify = defineVerify<{ file: string }>({
  kind: 'file',
  shape: {
    file: z
      .string()
      .min(1)
      .meta({ description: 'A path that must exist (~/ allowed).', examples: ['{{ prefix }}/lib/libfaiss.a'] }),
  },
  label: (i) => String(i.file),
  async run(item, env, fix) {
    const p = expandHome(item.file, env.paths.home);
    const st = await fs.stat(p).catch(() => null);
    return st ? { status: 'ok', message: 'exists' } : { status: 'fail', message: `${p} does not exist`, fix };
  },
});
