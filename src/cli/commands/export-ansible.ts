import { EnvkitError } from '../../util/errors.js';
import { seaBinary } from '../../util/sea.js';
import type { ExportOpts } from './export-opts.js';

/** `setup export ansible <recipe…> -o DIR`: a playbook and role that run setup on every host. */
export default async function exportAnsible(names: string[], opts: ExportOpts): Promise<number> {
  void names;
  void opts;
  void seaBinary;
  throw new EnvkitError('setup export ansible is not built yet');
}
