import { formatSize } from '../../util/size.js';

/** An archive that would write outside its extraction folder; the message names the entry and why. */
export class ArchiveRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveRefused';
  }
}

/** An archive that unpacks to more than its limits allow (a zip or gzip bomb); nothing is written. */
export class ArchiveTooBig extends ArchiveRefused {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveTooBig';
  }
}

/** How much an archive may unpack to: bytes in all, and entries. */
export interface ArchiveLimits {
  maxBytes: number;
  maxEntries: number;
}

/** What an archive entry is, whatever the archive format. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface ArchiveEntry {
  /** The name as stored in the archive. */
  name: string;
  type: EntryType;
  /** Symlink target (relative to the link's folder) or hard-link target (an archive name). */
  linkpath?: string;
  /** Bytes it unpacks to, as its header says (the readers stop at that many). */
  size?: number;
}

/** Symlinks followed while resolving one path before it counts as a loop (as Linux's MAXSYMLINKS). */
const MAX_HOPS = 40;

/**
 * Decides, entry by entry and in archive order, where each entry lands under its extraction folder after
 * `strip` (GNU tar's --strip-components: every `/`-separated name counts, `.` included), and refuses what
 * could write outside the folder: absolute names, `..` in a name, symlinks whose target leaves the folder
 * (`finish` also follows chains of symlinks), anything written through a symlink, hard links to outside.
 * Pure: it keeps a model of the symlinks extracted so far instead of looking at the disk, so the answer
 * does not depend on how far an extraction has got.
 */
export class ArchiveGuard {
  /** Symlinks in the tree so far: path inside the folder → target. */
  private readonly links = new Map<string, string>();
  private entries = 0;
  private bytes = 0;

  constructor(
    private readonly strip: number,
    readonly limits: ArchiveLimits = { maxBytes: Infinity, maxEntries: Infinity },
  ) {}

  /** Entries admitted (or refused) so far. */
  get count(): number {
    return this.entries;
  }

  /** Bytes those entries unpack to, as their headers say. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Where the entry goes inside the folder (`a/b`; for a hard link also its target there), or null when it
   * is not extracted (dropped by strip, the folder itself, a device). Throws ArchiveRefused.
   */
  admit(e: ArchiveEntry): { path: string; linkpath?: string } | null {
    // Counted before anything else, dropped entries too: they are read (and decompressed) all the same.
    this.bytes += e.size ?? 0;
    if (++this.entries > this.limits.maxEntries)
      throw new ArchiveTooBig(`it has more than ${this.limits.maxEntries} entries`);
    if (this.bytes > this.limits.maxBytes)
      throw new ArchiveTooBig(`it unpacks to more than ${formatSize(this.limits.maxBytes)} (at "${e.name}")`);
    const rel = this.place(e.name, `entry "${e.name}"`);
    if (rel === null || e.type === 'other') return null;
    this.refuseThroughLink(`"${e.name}"`, rel);
    let hardTarget: string | undefined;
    if (e.type === 'hardlink') {
      const target = this.place(e.linkpath ?? '', `hard link "${e.name}" (to "${e.linkpath}")`);
      if (target === null)
        throw new ArchiveRefused(`hard link "${e.name}" points at "${e.linkpath}", which strip removes`);
      // A hard link to a symlink is a second symlink somewhere else, where its relative target may escape.
      this.refuseThroughLink(`hard link "${e.name}" (to "${e.linkpath}")`, target, true);
      hardTarget = target;
    }
    if (e.type === 'symlink') {
      const target = e.linkpath ?? '';
      if (target.startsWith('/'))
        throw new ArchiveRefused(`symlink "${e.name}" points at the absolute path ${target}, outside the folder`);
      if (lexical(dirOf(rel), target) === null)
        throw new ArchiveRefused(`symlink "${e.name}" points outside the folder (${target})`);
      this.links.set(rel, target);
    } else this.links.delete(rel); // an entry of another type replaces a symlink of the same name
    return hardTarget === undefined ? { path: rel } : { path: rel, linkpath: hardTarget };
  }

  /** After the last entry: every symlink, followed through the others, still ends inside the folder. */
  finish(): void {
    for (const [from, target] of this.links) {
      if (this.resolve(dirOf(from), target) === null)
        throw new ArchiveRefused(`symlink "${from}" leads outside the folder (${target}, through other symlinks)`);
    }
  }

  /** Where a name lands after strip, or null when strip drops it; refuses absolute names and `..`. */
  private place(name: string, label: string): string | null {
    if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) throw new ArchiveRefused(`${label} has an absolute path`);
    const parts = name.split('/').filter((p) => p !== '');
    if (parts.includes('..')) throw new ArchiveRefused(`${label} contains "..", which would leave the folder`);
    if (parts.length <= this.strip) return null;
    const rest = parts.slice(this.strip).filter((p) => p !== '.');
    return rest.length ? rest.join('/') : null;
  }

  /** Refuses a path whose parent folders (or, with `self`, the path itself) include a symlink. */
  private refuseThroughLink(label: string, rel: string, self = false): void {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length + (self ? 1 : 0); i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.links.has(prefix)) throw new ArchiveRefused(`${label} would go through the symlink "${prefix}"`);
    }
  }

  /** Resolves `target` from folder `dir` inside the tree, following the tree's symlinks; null when it leaves the folder. */
  private resolve(dir: string, target: string): string | null {
    const stack = dir ? dir.split('/') : [];
    const todo = target.split('/').reverse();
    let hops = 0;
    while (todo.length) {
      const p = todo.pop()!;
      if (p === '' || p === '.') continue;
      if (p === '..') {
        if (!stack.length) return null;
        stack.pop();
        continue;
      }
      stack.push(p);
      const link = this.links.get(stack.join('/'));
      if (link === undefined) continue;
      if (++hops > MAX_HOPS) return stack.join('/'); // a loop: harmless, it resolves to nothing
      if (link.startsWith('/')) return null;
      stack.pop();
      todo.push(...link.split('/').reverse());
    }
    return stack.join('/');
  }
}

function dirOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
}

/** `target` resolved from `dir` by its text alone; null when `..` climbs above the folder. */
function lexical(dir: string, target: string): string | null {
  const stack = dir ? dir.split('/') : [];
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (!stack.length) return null;
      stack.pop();
    } else stack.push(p);
  }
  return stack.join('/');
}
