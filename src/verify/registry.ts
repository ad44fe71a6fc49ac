import { aptVerify } from './apt.js';
import { commandVerify } from './command.js';
import { envVerify } from './env.js';
import { fileVerify } from './file.js';
import { pipVerify } from './pip.js';
import { programVerify } from './program.js';
import { pythonVerify } from './python.js';
import type { VerifyForm } from './types.js';
import { urlVerify } from './url.js';

/** Every form of `verify:` item, in the order docs and the JSON Schema list them. Adding one is one file plus one line here. */
export const VERIFY_FORMS: readonly VerifyForm<unknown>[] = [
  commandVerify,
  fileVerify,
  pythonVerify,
  pipVerify,
  aptVerify,
  programVerify,
  urlVerify,
  envVerify,
];

/** The forms by their key; only the loader looks a form up (catalog/load.ts), everything after holds it (`item.impl`). */
export const VERIFY_FORM_BY_NAME: ReadonlyMap<string, VerifyForm<unknown>> = new Map(
  VERIFY_FORMS.map((f) => [f.kind, f]),
);

/** The forms' keys: `command`, `file`… */
export const VERIFY_KINDS: readonly string[] = VERIFY_FORMS.map((f) => f.kind);
