import path from 'node:path';
import type { NoteCommand } from './notes.js';
import type { DraftStep, StepOf } from './steps.js';

/** What converting one simple command gave: a step, a change of state only (`cd`, a shell variable), a skip, or a run line. */
export type Outcome = { step: DraftStep } | { folded: true } | { skip: string } | { run: true };

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
}

export const isRooted = (p: string): boolean => p.startsWith('/') || p.startsWith('~') || p.startsWith('{{');
export const base = (
  lines: number[],
  c: NoteCommand,
): Pick<DraftStep, 'lines' | 'notes' | 'paragraph' | 'section'> => ({
  lines,
  notes: [],
  paragraph: c.paragraph,
  ...(c.section ? { section: c.section } : {}),
});

/** A folder the notes name, against the shell's folder; undefined when neither says where it is. */
export function resolveDir(dir: string, st: ShellState): string | undefined {
  if (dir === '~' || dir === '$HOME') return '~';
  if (dir.startsWith('$HOME/')) return `~/${dir.slice(6)}`;
  if (isRooted(dir)) return dir.replace(/\/+$/, '') || '/';
  const made = st.named.get(dir.replace(/\/+$/, ''));
  if (made) return made;
  if (!st.cwd) return undefined;
  return st.cwd.startsWith('{{') || st.cwd.startsWith('~')
    ? path.posix.normalize(`${st.cwd}/${dir}`)
    : path.posix.resolve(st.cwd, dir);
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
