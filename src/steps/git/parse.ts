/** Pure helpers of the `git` step: names, URL comparison, and parsers of git's plumbing output. */

/** `https://github.com/pytorch/pytorch.git` → `pytorch` (also `git@host:org/name.git`, trailing `/`). */
export function repoBasename(url: string): string {
  const trimmed = url.replace(/[/\\]+$/, '');
  const last = trimmed.split(/[/:\\]/).pop() ?? '';
  return last.replace(/\.git$/, '');
}

/** Two spellings of one repository URL: equal up to trailing `/` and a trailing `.git`. */
export function sameRepo(a: string, b: string): boolean {
  // Credentials are no part of a repository's identity (and envkit never records them in origin).
  const norm = (u: string): string =>
    u
      .trim()
      .replace(/^(https?:\/\/)[^@/?#]*@/i, '$1')
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  return norm(a) === norm(b);
}

/** Whether a ref is written like a commit (7 to 40 hex digits) rather than a branch or tag name. */
export function looksLikeCommit(ref: string): boolean {
  return /^[0-9a-f]{7,40}$/i.test(ref);
}

/**
 * Why a rendered ref cannot be used, or undefined when it can. Keeps it from ever reading as an option,
 * and takes only what git takes as a ref name (git check-ref-format): no control characters (DEL too),
 * spaces, ~ ^ : ? * [ or backslash, "..", "@{" or "//"; no part starting with "." or ending with ".lock"; not "@",
 * and not starting or ending with "/" or ending with ".".
 */
export function badRef(ref: string): string | undefined {
  if (!ref) return 'ref is empty';
  const shown = JSON.stringify(ref); // escapes control characters: the value may come from --set
  if (ref.startsWith('-')) return `ref ${shown} starts with "-"`;
  if (
    // eslint-disable-next-line no-control-regex -- git refuses control characters in a ref name (git check-ref-format)
    /[\x00-\x20\x7f\s~^:?*[\\]|\.\.|@\{|\/\//.test(ref) ||
    ref === '@' ||
    /^\/|[/.]$/.test(ref) ||
    ref.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))
  ) {
    return `ref ${shown} is not a valid branch, tag or commit name`;
  }
  return undefined;
}

/** Where a ref points in a clone: a branch (as last fetched), a tag, or a commit by its sha. */
export interface RefTarget {
  kind: 'branch' | 'tag' | 'commit';
  commit: string;
}

/**
 * Picks what `ref` names from `git for-each-ref --format='%(refname) %(objectname) %(*objectname)'`
 * output: `refs/remotes/origin/<ref>` first (as `git clone --branch` prefers a branch), then
 * `refs/tags/<ref>` (peeled to its commit when annotated).
 */
export function pickRef(ref: string, forEachRef: string): RefTarget | undefined {
  const refs = new Map<string, string>();
  for (const line of forEachRef.split('\n')) {
    const [name, obj, peeled] = line.trim().split(/\s+/);
    if (name && obj) refs.set(name, peeled || obj);
  }
  const branch = refs.get(`refs/remotes/origin/${ref}`);
  if (branch) return { kind: 'branch', commit: branch };
  const tag = refs.get(`refs/tags/${ref}`);
  if (tag) return { kind: 'tag', commit: tag };
  return undefined;
}

/** What `ref` is on the remote, from `git ls-remote origin refs/heads/<ref> refs/tags/<ref>` output. */
export function remoteRefKind(ref: string, lsRemote: string): 'branch' | 'tag' | undefined {
  const names = new Set(
    lsRemote
      .split('\n')
      .map((l) => l.split('\t')[1]?.trim())
      .filter(Boolean),
  );
  if (names.has(`refs/heads/${ref}`)) return 'branch';
  if (names.has(`refs/tags/${ref}`)) return 'tag';
  return undefined;
}

/**
 * The commit `ref` names in `git ls-remote` output: a branch's tip, a tag's commit (an annotated tag's
 * peeled `^{}` line wins over the tag object), or undefined when the remote has no such branch or tag.
 */
export function remoteRefCommit(ref: string, lsRemote: string): string | undefined {
  const refs = new Map<string, string>();
  for (const line of lsRemote.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) refs.set(name.trim(), sha.trim());
  }
  return refs.get(`refs/heads/${ref}`) ?? refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`);
}

/** One line of `git submodule status --recursive`. */
export interface SubmoduleStatus {
  /** ok: at the recorded commit; uninitialized ('-'); moved: at another commit ('+'); conflict ('U'). */
  state: 'ok' | 'uninitialized' | 'moved' | 'conflict';
  commit: string;
  path: string;
}

/** Parses `git submodule status --recursive` output (`<flag><sha> <path>[ (<describe>)]` per line). */
export function parseSubmoduleStatus(out: string): SubmoduleStatus[] {
  const states: Record<string, SubmoduleStatus['state']> = {
    ' ': 'ok',
    '-': 'uninitialized',
    '+': 'moved',
    U: 'conflict',
  };
  const list: SubmoduleStatus[] = [];
  for (const line of out.split('\n')) {
    const m = /^([ +\-U])([0-9a-f]{7,64}) (.+?)(?: \(.*\))?$/.exec(line);
    if (m) list.push({ state: states[m[1]!]!, commit: m[2]!, path: m[3]! });
  }
  return list;
}

const listSome = (paths: string[], max = 3): string =>
  paths.length > max ? `${paths.slice(0, max).join(', ')} and ${paths.length - max} more` : paths.join(', ');

/** What is wrong with the submodules, as one phrase; undefined when every one is at its recorded commit. */
export function submoduleProblems(list: readonly SubmoduleStatus[]): string | undefined {
  const of = (s: SubmoduleStatus['state']): string[] => list.filter((x) => x.state === s).map((x) => x.path);
  const parts: string[] = [];
  const un = of('uninitialized');
  const moved = of('moved');
  const conflict = of('conflict');
  if (un.length) parts.push(`${un.length} submodule${un.length > 1 ? 's' : ''} not checked out (${listSome(un)})`);
  if (moved.length)
    parts.push(
      `${moved.length} submodule${moved.length > 1 ? 's' : ''} not at the recorded commit (${listSome(moved)})`,
    );
  if (conflict.length)
    parts.push(
      `${conflict.length} submodule${conflict.length > 1 ? 's' : ''} with merge conflicts (${listSome(conflict)})`,
    );
  return parts.length ? parts.join('; ') : undefined;
}

/** Whether submodule clones need `protocol.file.allow=always`: the repo or a rewrite points at local files. */
export function needsFileTransport(urls: readonly string[]): boolean {
  return urls.some((u) => u.startsWith('file:') || u.startsWith('/'));
}
