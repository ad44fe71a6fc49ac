import * as z from '../util/zod.js';
import { notInstalled } from '../steps/packages.js';
import { defineVerify } from './types.js';

/** `apt:` a system package is installed. */
export const aptVerify = defineVerify<{ apt: string }>({
  kind: 'apt',
  shape: {
    apt: z
      .string()
      .min(1)
      .meta({
        description: 'A system package that must be installed (dpkg on apt hosts, rpm or brew elsewhere).',
        examples: ['libopenblas-dev', 'postgresql'],
      }),
  },
  label: (i) => `package ${String(i.apt)}`,
  async run(item, env, fix) {
    try {
      const missing = await notInstalled([item.apt], env);
      return missing.length
        ? { status: 'fail', message: 'not installed', fix }
        : { status: 'ok', message: 'installed' };
    } catch (e) {
      return {
        status: 'warn',
        message: `could not tell: ${(e as Error).message}`,
        fix: `see whether \`dpkg-query -W ${String(item.apt)}\` works here, then run setup doctor again`,
      };
    }
  },
});
