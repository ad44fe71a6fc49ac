import { UsageError } from '../../util/errors.js';
import type { ExportOpts } from './export-opts.js';
import exportAnsible from './export-ansible.js';
import exportSh from './export-sh.js';

/** `setup export <ansible|sh> <recipe…>`: the recipes written out for machines setup does not run on itself. */
export default async function exportCommand(args: string[], opts: ExportOpts): Promise<number> {
  const [format, ...names] = args;
  if (format === 'ansible') return exportAnsible(names, opts);
  if (format === 'sh') {
    for (const [flag, v] of [
      ['--bundle', opts.bundle],
      ['--binary', opts.binary],
      ['--hosts', opts.hosts],
    ] as const)
      if (v !== undefined)
        throw new UsageError(`${flag} is for \`setup export ansible\`; the sh export takes -o FILE only`);
    return exportSh(names, opts);
  }
  throw new UsageError(`unknown export format ${format ?? ''}: ansible or sh`);
}
