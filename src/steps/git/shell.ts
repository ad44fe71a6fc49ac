import { looksLikeCommit } from './parse.js';
import type { ShellStep } from '../types.js';
import type { GitConfig } from './config.js';

/**
 * A git step as bash (`setup export sh`), doing what the kind's apply does: a clone (or init and fetch, for a
 * commit), the ref fetched when the clone lacks it (a branch: always, as its tip moves), a checkout that
 * refuses local changes, then every submodule at its recorded commit. `options` are the kind's `-c` options
 * (the profile's rewrites), `env` its environment (no prompts, credentials): the same as setup passes.
 */
export function gitShell(
  c: GitConfig,
  options: readonly string[],
  env: Record<string, string>,
  q: (s: string) => string,
): ShellStep {
  const d = q(c.dest);
  const ref = q(c.ref);
  const depth = c.depth ? ` --depth=${c.depth}` : '';
  const commit = looksLikeCommit(c.ref);
  // Where the ref is once fetched: a tag, origin's branch, or (a commit) itself.
  const target = [
    `_target() {`,
    `  git -C ${d} rev-parse -q --verify ${q(`refs/tags/${c.ref}^{commit}`)} ||`,
    `    git -C ${d} rev-parse -q --verify ${q(`refs/remotes/origin/${c.ref}^{commit}`)}${commit ? ` ||\n    git -C ${d} rev-parse -q --verify ${q(`${c.ref}^{commit}`)}` : ''}`,
    `}`,
  ];
  const check = [
    ...target,
    `[ -e ${d}/.git ] || exit 1`,
    `[ "$(git -C ${d} config --get remote.origin.url)" = ${q(c.repo)} ] || exit 1`,
    `t=$(_target) || exit 1`,
    `[ "$(git -C ${d} rev-parse -q --verify HEAD)" = "$t" ] || exit 1`,
    ...(c.submodules ? [`! git -C ${d} submodule status --recursive | grep -q '^[-+U]'`] : []),
  ];
  const apply = [
    ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
    `G=(git ${options.map(q).join(' ')})`,
    ...target,
    'fresh=0',
    `if [ ! -e ${d} ] || [ -z "$(ls -A ${d})" ]; then`,
    '  fresh=1',
    commit
      ? `  "\${G[@]}" init --quiet -- ${d}\n  "\${G[@]}" -C ${d} remote add origin ${q(c.repo)}`
      : `  "\${G[@]}" clone --branch=${ref}${depth} -- ${q(c.repo)} ${d}`,
    `elif [ ! -e ${d}/.git ]; then`,
    `  echo ${q(`${c.dest} holds something else than a clone of ${c.repo}: left as it is`)} >&2; exit 1`,
    'fi',
    't=$(_target) || t=',
    `if [ -z "$t" ] || { [ $fresh = 0 ] && git -C ${d} rev-parse -q --verify ${q(`refs/remotes/origin/${c.ref}`)} >/dev/null; }; then`,
    `  refs=$("\${G[@]}" -C ${d} ls-remote origin ${q(`refs/heads/${c.ref}`)} ${q(`refs/tags/${c.ref}`)})`,
    `  case "$refs" in`,
    `    *refs/heads/*) "\${G[@]}" -C ${d} fetch${depth} origin ${q(`+refs/heads/${c.ref}:refs/remotes/origin/${c.ref}`)} ;;`,
    `    *refs/tags/*) "\${G[@]}" -C ${d} fetch${depth} origin ${q(`+refs/tags/${c.ref}:refs/tags/${c.ref}`)} ;;`,
    `    *) ${c.depth ? '' : `"\${G[@]}" -C ${d} fetch --tags origin; _target >/dev/null || `}"\${G[@]}" -C ${d} fetch${depth} origin ${ref} ;;`,
    '  esac',
    `  t=$(_target) || { echo ${q(`${c.ref} is not a branch, tag or commit of ${c.repo}`)} >&2; exit 1; }`,
    'fi',
    `head=$(git -C ${d} rev-parse -q --verify HEAD || true)`,
    'if [ "$head" != "$t" ]; then',
    `  if [ $fresh = 0 ] && [ -n "$head" ] && [ -n "$(git -C ${d} status --porcelain --untracked-files=no)" ]; then`,
    `    echo ${q(`${c.dest} has local changes: not checking out ${c.ref} over them (commit or stash them)`)} >&2; exit 1`,
    '  fi',
    `  if git -C ${d} rev-parse -q --verify ${q(`refs/remotes/origin/${c.ref}`)} >/dev/null && ! git -C ${d} rev-parse -q --verify ${q(`refs/tags/${c.ref}`)} >/dev/null; then`,
    `    "\${G[@]}" -C ${d} checkout --quiet --no-track -B ${ref} "$t"`,
    `    "\${G[@]}" -C ${d} config ${q(`branch.${c.ref}.remote`)} origin`,
    `    "\${G[@]}" -C ${d} config ${q(`branch.${c.ref}.merge`)} ${q(`refs/heads/${c.ref}`)}`,
    '  else',
    `    "\${G[@]}" -C ${d} checkout --quiet --detach "$t"`,
    '  fi',
    'fi',
    ...(c.submodules
      ? [
          `[ $fresh = 1 ] || "\${G[@]}" -C ${d} submodule --quiet sync --recursive`,
          `"\${G[@]}" -C ${d} submodule update --init --recursive --jobs=8`,
        ]
      : []),
  ];
  return {
    check: check.join('\n'),
    apply: apply.join('\n'),
    ...(c.submoduleCommits ? { limits: ['git: the locked submodule commits are not exported'] } : {}),
  };
}
