import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../../util/errors.js';
import { writeSkeleton } from '../../catalog/skeleton.js';
import { STEP_KINDS } from '../../steps/registry.js';
import { defaultPaths, packageRoot } from '../../util/paths.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

/** Why `dir` cannot be a recipe folder: it, or the nearest existing path above it, is not a folder. */
async function dirProblem(dir: string): Promise<string | undefined> {
  for (let p = dir; ; p = path.dirname(p)) {
    const st = await fs.promises.stat(p).catch(() => undefined);
    if (st)
      return st.isDirectory() ? undefined : p === dir ? 'is a file, not a folder' : `${p} is a file, not a folder`;
    if (path.dirname(p) === p) return undefined;
  }
}

/** `setup init <name>`: a new recipe in the user's recipe folder (or --dir), with the installed schema's line. */
export default async function init([name]: string[], opts: GlobalOpts & { dir?: string }): Promise<number> {
  const o = makeOutput(opts);
  const paths = defaultPaths();
  const dir = opts.dir ? path.resolve(opts.dir) : paths.userRecipes;
  // The schema this installation ships, by absolute file URL: right wherever the recipe lives.
  const schemaUrl = pathToFileURL(path.join(packageRoot, 'schema', 'recipe.schema.json')).href;
  // A --dir that names a file (or lies under one) is a bad flag, said as such.
  const notDir = opts.dir ? await dirProblem(dir) : undefined;
  if (notDir) throw new UsageError(`--dir ${opts.dir}: ${notDir}`, 'give a folder; it is created when missing');
  const file = await writeSkeleton(
    dir,
    name!,
    schemaUrl,
    STEP_KINDS.map((k) => k.kind),
  );
  const overrides = fs.existsSync(path.join(paths.bundledRecipes, `${name}.yaml`));
  if (o.json) {
    writeJson(o, 'init', { name, file, schema: schemaUrl, overridesBundled: overrides });
    return 0;
  }
  o.out(file);
  if (overrides)
    o.err(o.c.yellow(`note: this overrides the bundled recipe "${name}" wherever ${tilde(o, dir)} is a recipe folder`));
  if (!o.quiet) {
    const flag = opts.dir && dir !== paths.userRecipes ? ` --recipes ${tilde(o, dir)}` : '';
    o.err(`wrote a new recipe; edit it, then: setup plan ${name}${flag}`);
  }
  return 0;
}
