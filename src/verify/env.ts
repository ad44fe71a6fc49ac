import * as z from '../util/zod.js';
import { ENV_NAME, ENV_NAME_MESSAGE } from '../lang/schema.js';
import { parseEnvFile } from '../steps/env-file.js';
import { valueDiffers } from '../util/redact.js';
import { expandEnvValue } from '../steps/env-value.js';
import { readIfExists } from '../util/safe-write.js';
import { defineVerify } from './types.js';

/** `env:` a variable is set in the user's shell (to `value:`, when given). */
export const envVerify = defineVerify<{ env: string; value?: string }>({
  kind: 'env',
  shape: {
    env: z
      .string()
      .regex(ENV_NAME, ENV_NAME_MESSAGE)
      .meta({ description: 'A variable that must be set in the user’s shell environment.', examples: ['JAVA_HOME'] }),
    value: z
      .string()
      .optional()
      .meta({
        description: 'The value it must have (default: any value, set is enough).',
        examples: ['/usr/lib/jvm/java-17-openjdk-amd64'],
      }),
  },
  label: (i) => `$${String(i.env)}`,
  async run(item, env, fix) {
    const name = item.env;
    const want = item.value;
    const have = env.processEnv[name];
    if (have !== undefined && (want === undefined || have === want))
      return { status: 'ok', message: want === undefined ? 'set' : `= ${have}` };
    // A managed value's references ($HOME, $PATH) are filled in as a new shell would, from this one's values.
    const value = parseEnvFile(await readIfExists(env.paths.envFile)).set.get(name);
    const managed = value === undefined ? undefined : expandEnvValue(value, env.processEnv);
    if (managed !== undefined && (want === undefined || managed === want)) {
      return {
        status: 'warn',
        message: 'set in the envkit env file, but not in this shell',
        fix: `open a new shell, or: . ${env.paths.envFile}`,
      };
    }
    return {
      status: 'fail',
      message: have === undefined ? 'not set' : valueDiffers(undefined, have, want),
      fix,
    };
  },
});
