import path from 'node:path';
import type { NoteCommand } from './notes.js';
import type { DraftStep, StepOf } from './steps.js';

/** What converting one simple command gave: a step, a change of state only (`cd`, a shell variable), a skip, or a run line. */
export type Outcome = { step: DraftStep } | { folded: true } | { skip: string } | { run: true } | { verify: string };

/** What the notes' shell had set when a line ran: its folder, variables, active venv and clones. */
export interface ShellState {
  /** The working folder: absolute, `~/…` or a template; relative when the notes never said where they started. */
  cwd?: string;
  vars: Map<string, string>;
  venv?: string;
  venvs: Set<string>;
  /** Clones (git steps a later `git checkout` or `git submodule` refines). */
  clones: StepOf<'git'>[];
  /** Downloads by file name, for a later `tar x` of the file. */
  downloads: Map<string, StepOf<'download'>>;
  /** Folders the notes made (clones, venvs) by the name a later `cd` uses → where the draft puts them. */
  named: Map<string, string>;
  /** Trees the notes fetched (clones, unpacked downloads): a new fetch inside one is a snippet from another session. */
  trees: string[];
  /** Folders an `rm -r` removed: a clone into one replaces it where it was (a submodule cloned by hand). */
  removed: Set<string>;
  /** Build folders a cmake step configured: `make` there is a CMake build. */
  cmakeBuilds: Set<string>;
}

/** A fresh shell: no folder, no variables, nothing made. */
export const newShell = (): ShellState => ({
  vars: new Map(),
  venvs: new Set(),
  clones: [],
  named: new Map(),
  downloads: new Map(),
  trees: [],
  removed: new Set(),
  cmakeBuilds: new Set(),
});

/** The comment on a clone or download the draft moved out of another fetched tree. */
export const movedNote = (from: string): string =>
  `the notes' shell was in ${from} (a tree fetched earlier): the draft fetches this beside it, in {{ dirs.src }}`;

/**
 * The folder a clone or download named `name` goes to: the shell's, unless the notes never said where that is,
 * or it lies inside a tree they fetched earlier and they did not just remove `name` there. Notes are snippets
 * pasted from many sessions: `git clone googletest` after the LAPACK build's `cd build` means "next, fetch
 * googletest", not "inside LAPACK's build folder". `moved` names the folder the notes' shell was in.
 */
export function fetchDir(st: ShellState, name: string): { dir: string; moved?: string } {
  const cwd = st.cwd;
  if (!cwd || !isRooted(cwd)) return { dir: '{{ dirs.src }}' };
  const inside = st.trees.some((t) => cwd === t || cwd.startsWith(`${t}/`));
  if (inside && !st.removed.has(`${cwd}/${name}`)) return { dir: '{{ dirs.src }}', moved: cwd };
  return { dir: cwd };
}

export const isRooted = (p: string): boolean => p.startsWith('/') || p.startsWith('~') || p.startsWith('{{');
export const base = (
  lines: number[],
  c: NoteCommand,
): Pick<DraftStep, 'lines' | 'notes' | 'paragraph' | 'section' | 'sectionLine'> => ({
  lines,
  notes: [],
  paragraph: c.paragraph,
  ...(c.section ? { section: c.section, sectionLine: c.sectionLine } : {}),
});

/** A folder the notes name, against the shell's folder; undefined when neither says where it is. */
export function resolveDir(dir: string, st: ShellState): string | undefined {
  if (dir === '~' || dir === '$HOME') return '~';
  if (dir.startsWith('$HOME/')) return `~/${dir.slice(6)}`;
  if (isRooted(dir)) return dir.replace(/\/+$/, '') || '/';
  const [first = '', ...rest] = dir.replace(/\/+$/, '').split('/');
  const made = st.named.get(first);
  if (made) return [made, ...rest].join('/');
  if (!st.cwd || !isRooted(st.cwd)) return undefined;
  return st.cwd.startsWith('/') ? path.posix.resolve(st.cwd, dir) : path.posix.normalize(`${st.cwd}/${dir}`);
}

/** `$X`, `${X}` and `$HOME` replaced by what the notes set them to; undefined when a value is the shell's own. */
export function expand(value: string, st: ShellState, keep?: string): string | undefined {
  let unknown = false;
  const out = value.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (m, name: string) => {
    if (name === keep) return m;
    if (name === 'HOME') return '~';
    const v = st.vars.get(name);
    if (v === undefined) unknown = true;
    return v ?? m;
  });
  return unknown || /`|\$\(/.test(out) ? undefined : out;
}

/**
 * A value a kind takes as text, not as a path (an env `set:` value, a make variable, a cmake define): a `~` where
 * bash would have expanded it (at the start or after a `:`) becomes `{{ dirs.home }}`, since the kind will not.
 */
export const homeInText = (value: string): string => value.replace(/(^|:)~(?=\/|:|$)/g, '$1{{ dirs.home }}');
