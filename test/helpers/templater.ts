import type { Templater } from '../../src/steps/types.js';

/** A Templater for specs without templates: every method returns its input as it is (a script with no vars). */
export const literalTemplater: Templater = {
  str: (s) => s,
  sh: (s) => ({ shell: s, vars: {}, display: s }),
  escaped: (s) => s,
  path: (s) => s,
  file: (s) => s,
  deep: (v) => v,
  value: (v) => v,
};
