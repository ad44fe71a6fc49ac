import path from 'node:path';
import { profileNames, recipeNames } from '../../completion/candidates.js';
import { loadUserConfig } from '../../catalog/profile.js';
import { defaultPaths, expandHome } from '../../util/paths.js';
import { makeOutput, type GlobalOpts } from '../output.js';

/** `setup __complete recipes|profiles` (hidden): one name a line, for the completion scripts. */
export default async function complete([what]: string[], opts: GlobalOpts): Promise<number> {
  const o = makeOutput(opts);
  const paths = defaultPaths();
  // A broken config must not break the shell: complete from the other folders then.
  const config = await loadUserConfig(paths.configFile).catch(() => ({ recipes: [] as string[] }));
  const dirs = [
    paths.bundledRecipes,
    paths.userRecipes,
    ...(config.recipes ?? []).map((d) => path.resolve(expandHome(d, paths.home))),
    ...opts.recipes.map((d) => path.resolve(expandHome(d, paths.home))),
  ];
  const names = what === 'profiles' ? await profileNames(dirs) : await recipeNames(dirs);
  if (names.length) o.out(names.join('\n'));
  return 0;
}
