/** One alternative of a dependency: a package name, or a virtual name and the packages that provide it. */
export interface Alternative {
  name: string;
  virtual: boolean;
  providers: string[];
}

/** What `apt-cache depends --recurse` says: each package's Depends/Pre-Depends, each a list of alternatives. */
export type DependsGraph = Map<string, Alternative[][]>;

/** The options that make `apt-cache depends` list only what must be installed with a package. */
export const DEPENDS_ONLY = [
  '--recurse',
  '--no-recommends',
  '--no-suggests',
  '--no-conflicts',
  '--no-breaks',
  '--no-replaces',
  '--no-enhances',
];

/** `perl:any` and `libc6:amd64` name the package `perl` and `libc6` as far as a bundle is concerned. */
const bare = (name: string): string => name.replace(/:(any|native)$/, '');

/**
 * Parses `apt-cache depends --recurse` (with DEPENDS_ONLY): a package at the start of a line (`<name>` when
 * virtual), its dependencies indented two spaces (`|Depends:` when the next line is an alternative to it),
 * the providers of a virtual target indented four.
 */
export function parseAptDepends(text: string): DependsGraph {
  const graph: DependsGraph = new Map();
  let groups: Alternative[][] | undefined;
  let last: Alternative | undefined;
  let orNext = false;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const dep = /^ (\||\s)(Depends|PreDepends|Pre-Depends): (.+)$/.exec(line);
    if (!line.startsWith(' ')) {
      const head = line.trim();
      const virtual = head.startsWith('<');
      groups = [];
      if (!virtual) graph.set(bare(head), groups);
      last = undefined;
      orNext = false;
    } else if (dep && groups) {
      const target = dep[3]!.trim();
      const virtual = target.startsWith('<') && target.endsWith('>');
      last = { name: bare(virtual ? target.slice(1, -1) : target), virtual, providers: [] };
      if (orNext && groups.length) groups[groups.length - 1]!.push(last);
      else groups.push([last]);
      orNext = dep[1] === '|';
    } else if (/^ {4}\S/.test(line) && last?.virtual) {
      last.providers.push(bare(line.trim()));
    }
  }
  return graph;
}

/** How closure picks: what to leave out (and not follow), and what is installed here (preferred as a provider). */
export interface ClosureOptions {
  leaveOut(name: string): boolean;
  installed(name: string): boolean;
}

/**
 * The packages `roots` need, following Depends/Pre-Depends: of each group of alternatives, the first that
 * can be had (a package the graph knows, or a virtual name with a provider — one already chosen, else an
 * installed one, else the first listed). A group satisfied by a package left out (required, Essential)
 * adds nothing. Returns the names in the order found, roots first.
 */
export function closure(graph: DependsGraph, roots: readonly string[], opts: ClosureOptions): string[] {
  const chosen = new Set<string>();
  const order: string[] = [];
  const queue = roots.map(bare);
  const pick = (alts: Alternative[]): string | undefined => {
    for (const a of alts) {
      if (!a.virtual) {
        if (graph.has(a.name) || opts.leaveOut(a.name)) return a.name;
        continue;
      }
      const p =
        a.providers.find((x) => chosen.has(x)) ??
        a.providers.find((x) => opts.leaveOut(x) || opts.installed(x)) ??
        a.providers[0];
      if (p) return p;
    }
    return undefined;
  };
  while (queue.length) {
    const name = queue.shift()!;
    if (chosen.has(name) || opts.leaveOut(name)) continue;
    chosen.add(name);
    order.push(name);
    for (const group of graph.get(name) ?? []) {
      const p = pick(group);
      if (p && !chosen.has(p)) queue.push(p);
    }
  }
  return order;
}

/** One package's record as `apt-cache show` prints it (the fields a bundle uses). */
export interface AptRecord {
  package: string;
  version: string;
  arch: string;
  /** The path in the archive (`pool/main/f/fortune-mod/fortune-mod_1.99.1-7.3_amd64.deb`). */
  filename: string;
  size: number;
  sha256: string;
}

/** Splits deb822 text (`apt-cache show`, `dpkg-deb -f`) into paragraphs of fields, continuation lines kept. */
export function parseDeb822(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const para of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let key = '';
    for (const line of para.split('\n')) {
      if (/^[ \t]/.test(line) && key) fields.set(key, `${fields.get(key)}\n${line}`);
      else {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        key = line.slice(0, colon);
        fields.set(key, line.slice(colon + 1).trim());
      }
    }
    if (fields.size) out.push(fields);
  }
  return out;
}

/** The records `apt-cache show --no-all-versions` prints, by package name (the first for each name). */
export function parseAptShow(text: string): Map<string, AptRecord> {
  const out = new Map<string, AptRecord>();
  for (const f of parseDeb822(text)) {
    const name = f.get('Package');
    if (!name || out.has(name) || !f.get('Filename') || !f.get('SHA256')) continue;
    out.set(name, {
      package: name,
      version: f.get('Version') ?? '',
      arch: f.get('Architecture') ?? '',
      filename: f.get('Filename')!,
      size: Number(f.get('Size') ?? 0),
      sha256: f.get('SHA256')!,
    });
  }
  return out;
}

/** The argv that lists installed packages with their Essential flag and priority (see parseBaseSystem). */
export const BASE_QUERY = ['dpkg-query', '-W', '-f', '${Package}\t${Essential}\t${Priority}\t${db:Status-Abbrev}\n'];

/**
 * The packages every Debian system has, as this host knows them: the installed ones that are Essential or
 * of Priority required (what debootstrap's minimal base installs). A bundle leaves them out, and what
 * they depend on (libc6 is only "optional", yet coreutils needs it).
 */
export function parseBaseSystem(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [name, essential, priority, status] = line.split('\t');
    if (name && status?.startsWith('ii') && (essential === 'yes' || priority === 'required')) out.push(name);
  }
  return out;
}

/** The providers `apt-cache showpkg NAME` lists under "Reverse Provides:" (for a virtual name the recipe asks for). */
export function parseReverseProvides(text: string): string[] {
  const at = text.indexOf('Reverse Provides:');
  if (at === -1) return [];
  const names: string[] = [];
  for (const line of text.slice(at).split('\n').slice(1)) {
    const name = line.trim().split(/\s+/)[0];
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}
