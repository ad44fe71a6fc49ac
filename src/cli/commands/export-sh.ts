import { EnvkitError } from '../../util/errors.js';
import type { ExportOpts } from './export-opts.js';

/** `setup export sh <recipe…> [-o FILE]`: one bash script, each step guarded by its check. */
export default async function exportSh(names: string[], opts: ExportOpts): Promise<number> {
  void names;
  void opts;
  throw new EnvkitError('setup export sh is not built yet');
}
