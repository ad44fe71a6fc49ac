import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../util/errors.js';

/** An argument that is a recipe file rather than a name: it ends in .yaml/.yml or holds a `/`. */
export function isRecipePath(arg: string): boolean {
  return /\.ya?ml$/.test(arg) || arg.includes('/');
}

/**
 * The command's arguments with each recipe file (`./mine.yaml`, `recipes/faiss.yml`) replaced by its recipe
 * name (the file name, as in a recipe folder), and the files added to `recipeFiles`, read each alone. A path
 * that is not a file is a usage error (exit 2), with a hint.
 */
export function recipeFileArgs(
  args: string[],
  from: number,
  opts: Record<string, unknown>,
): { args: string[]; opts: Record<string, unknown> } {
  const files = new Map<string, string>(); // name → file
  const out = args.map((arg, i) => {
    if (i < from || !isRecipePath(arg)) return arg;
    const file = path.resolve(arg);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st)
      throw new UsageError(
        `no recipe file at ${file}`,
        'name a recipe (`setup list` shows them), or give the path of a recipe file',
      );
    if (st.isDirectory())
      throw new UsageError(
        `${arg} is a folder, not a recipe file`,
        `add the folder with --recipes ${arg} and name the recipe, or give the path of one .yaml file in it`,
      );
    const name = path.basename(file).replace(/\.ya?ml$/, '');
    const other = files.get(name);
    if (other !== undefined && other !== file)
      throw new UsageError(
        `two recipe files named ${name}: ${other} and ${file}`,
        'a recipe is known by its file name: rename one of them',
      );
    files.set(name, file);
    return name;
  });
  if (!files.size) return { args, opts };
  const before = Array.isArray(opts.recipeFiles) ? (opts.recipeFiles as string[]) : [];
  return { args: out, opts: { ...opts, recipeFiles: [...before, ...files.values()] } };
}
