/**
 * zod, re-exported by name: `import * as z from './zod.js'` reads like zod's own `z`, but a bundle
 * keeps only these (zod's `z` namespace object drags every locale along: 750 KB instead of 170 KB, the
 * biggest cost of starting the CLI). Add a name here when a schema needs it.
 */
export {
  array,
  boolean,
  enum,
  int,
  lazy,
  literal,
  null,
  number,
  object,
  record,
  strictObject,
  string,
  union,
  unknown,
} from 'zod';
export type { infer, ZodError, ZodObject, ZodType } from 'zod';
