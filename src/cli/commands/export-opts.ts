import type { GlobalOpts } from '../output.js';

/** The options of `setup export` (both formats). */
export interface ExportOpts extends GlobalOpts {
  output?: string;
  bundle?: string;
  binary?: string;
  hosts?: string;
}
