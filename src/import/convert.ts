import path from 'node:path';
import { shellQuote } from '../util/shell.js';
import { heredocFile } from './builds.js';
import { convertSimple, sudoUser } from './commands.js';
import { base, isRooted, newShell, type ShellState } from './shell-state.js';
import type { MirrorHosts } from './mirrors.js';
import type { NoteCommand, SkippedLine } from './notes.js';
import { splitCommands, type Simple } from './shell-words.js';
import type { DraftStep, StepOf } from './steps.js';

/** The steps of a page of notes' commands, in order, and the lines that turned out to be dead ends. */
export interface Converted {
  steps: DraftStep[];
  /** Lines that changed only the shell's state (`cd`, a variable, `git submodule update`): kept, as part of later steps. */
  folded: number[];
  skipped: SkippedLine[];
  /** `tool --version` lines: what the notes ran to see that a tool works, for the recipe's `verify:`. */
  verify: VerifyLine[];
}

/** A line of the notes that checks a tool works, and where it was. */
export interface VerifyLine {
  command: string;
  line: number;
  section?: string;
  sectionLine?: number;
}

/** Programs that change the system's packages: root's, with or without the notes' sudo. */
const ROOT_ONLY = /^(apt|apt-get|aptitude|dpkg|dnf|yum|rpm|add-apt-repository)$/;

/**
 * The run line for a simple command: its text, a leading sudo (and its flags) dropped. A `sudo -u USER` line
 * stays whole: it runs as that user, which root may become without a password.
 */
const runLine = (s: Simple): { text: string; root: boolean } => {
  // Notes written in a root shell (a container) drop sudo where a package manager needs it.
  if (s.words[0]?.value !== 'sudo') return { text: s.text, root: ROOT_ONLY.test(s.words[0]?.value ?? '') };
  if (sudoUser(s.words.map((w) => w.value)) !== 'root') return { text: s.text, root: true };
  const m = /^sudo\s+((--user[=\s]\S+|-u\s*\S+|-[A-Za-z]+)\s+)*/.exec(s.text);
  return { text: m ? s.text.slice(m[0].length) : s.text, root: true };
};

/**
 * The folder of a file an earlier download step fetched that a run line names (`sh Anaconda3-….sh`, `tar -C …
 * -xzf go….tar.gz`). A download the notes also untarred keeps the file too, beside its folder: the line uses it.
 */
function downloadedHere(text: string, st: ShellState, line: number): string | undefined {
  for (const [file, step] of st.downloads) {
    const at = step.dest ?? step.extract;
    if (!at || !text.split(/\s+/).includes(file)) continue;
    const dir = path.posix.dirname(at);
    if (!step.dest) {
      step.dest = `${dir}/${file}`;
      step.notes.push(`kept as a file too: line ${line} uses it`);
    }
    return dir;
  }
  return undefined;
}

/** The line that activates a venv in a run step: `~/` and templates left for the shell and the recipe to expand. */
function activate(venv: string): string {
  const safe = /^[\w./@+~-]*$/.test(venv.replace(/\{\{[^}]*\}\}/g, ''));
  const at = safe ? venv : venv.startsWith('~/') ? `~/${shellQuote(venv.slice(2))}` : shellQuote(venv);
  return `. ${at}/bin/activate`;
}

const MKDIR_CD = /^(mkdir(\s+-p)?|cd)\s+(\S+)$/;

/**
 * Adds a step, folding what the notes said in two lines into one: `mkdir build && cd build` before `cmake ..`
 * (the cmake kind makes its build folder), a CMake build then its install (one step, `install: true`), and a
 * `make` with nothing new after a make in the same folder (`make TARGET=X` then `make`: one build).
 */
function addStep(steps: DraftStep[], next: DraftStep): void {
  const prev = steps.at(-1);
  const absorb = (into: DraftStep, from: DraftStep): void => {
    into.lines = [...new Set([...into.lines, ...from.lines])].sort((a, b) => a - b);
    into.notes.push(...from.notes.filter((n) => !into.notes.includes(n)));
  };
  if (next.kind === 'cmake' && next.source && prev?.kind === 'run' && prev.cwd && prev.paragraph === next.paragraph) {
    const lines = prev.script.map((l) => MKDIR_CD.exec(l));
    const made = lines.flatMap((m) =>
      m?.[1]?.startsWith('mkdir') ? [path.posix.join(prev.cwd ?? '', m[3] ?? '')] : [],
    );
    if (lines.every(Boolean) && made.includes(next.build)) {
      steps.pop();
      absorb(next, prev);
    }
  }
  if (next.kind === 'cmake' && !next.source && prev?.kind === 'cmake' && !prev.source && prev.build === next.build) {
    if (!prev.install && !prev.target && !next.target) {
      prev.install = next.install;
      prev.prefixes = [...(prev.prefixes ?? []), ...(next.prefixes ?? [])];
      absorb(prev, next);
      return;
    }
  }
  if (
    next.kind === 'make' &&
    prev?.kind === 'make' &&
    prev.dir === next.dir &&
    !prev.targets.length &&
    !next.targets.length &&
    !Object.keys(next.vars).length
  ) {
    absorb(prev, next);
    return;
  }
  steps.push(next);
}

/**
 * The notes' commands as steps, in order: each command split at `&&` and `;`, `sudo` dropped, `cd` and shell
 * variables followed; a command no kind fits becomes a `run` line, and run lines of one paragraph (no blank
 * line between) become one `run` step that starts in the folder the first one ran in.
 */
export function convertCommands(commands: readonly NoteCommand[], hosts: MirrorHosts): Converted {
  const st: ShellState = newShell();
  const out: Converted = { steps: [], folded: [], skipped: [], verify: [] };
  let open: StepOf<'run'> | undefined;
  const addRun = (text: string, root: boolean, c: NoteCommand): void => {
    if (!open || open.paragraph !== c.paragraph || open.root !== root || out.steps.at(-1) !== open) {
      open = { kind: 'run', script: [], root, ...base([], c) };
      if (st.cwd && isRooted(st.cwd)) open.cwd = st.cwd;
      else if (st.cwd) {
        open.script.push(`cd ${shellQuote(st.cwd)}`);
        open.notes.push(`the notes ran this in ./${st.cwd}, relative to a folder they do not name`);
      }
      out.steps.push(open);
    }
    // A venv the notes activated is the python and pip of their later lines: the step activates it too.
    if (st.venv && !open.script.includes(activate(st.venv))) {
      open.script.push(activate(st.venv));
      open.notes.push(`the notes activated ${st.venv} before this: the step does too`);
    }
    // Notes that never said where they are fetched into {{ dirs.src }}: a line naming a fetched file runs there.
    if (!st.cwd && !open.cwd && !open.script.some((l) => l.startsWith('cd '))) {
      const fetched = downloadedHere(text, st, c.line);
      if (fetched) open.cwd = fetched;
    }
    // The shell variables the notes set earlier (cur_dir=…) are set again in the step that uses them.
    for (const [name, value] of st.vars)
      if (new RegExp(`\\$\\{?${name}\\b`).test(text) && !open.script.some((l) => l.startsWith(`${name}=`)))
        open.script.unshift(
          `${name}=${value.startsWith('~/') ? `~/${shellQuote(value.slice(2))}` : shellQuote(value)}`,
        );
    open.script.push(text);
    if (!open.lines.includes(c.line)) open.lines.push(c.line);
  };
  let section: number | undefined;
  for (const c of commands) {
    // A new section of a notebook starts somewhere else: its relative folders are not the last section's.
    if (c.sectionLine !== section) {
      section = c.sectionLine;
      st.cwd = undefined;
      st.venv = undefined;
    }
    // A recipe reads {{ }} as a template and has no way to write it literally: such a line is the user's to write.
    if (c.text.includes('{{')) {
      out.skipped.push({
        line: c.line,
        text: c.text,
        reason: 'dead end',
        why: 'holds {{ }}, which a recipe reads as a template: write this step by hand',
      });
      continue;
    }
    // A heredoc, or a subshell (its cd and variables end with it): one run line, as written.
    if (c.text.includes('\n') || /^\(.*\)$/.test(c.text)) {
      const file = heredocFile(c.text, c, st);
      if (file) addStep(out.steps, file);
      else addRun(c.text, false, c);
      continue;
    }
    const simples = splitCommands(c.text);
    let used = false;
    for (const s of simples) {
      const cwdBefore = st.cwd;
      const r = convertSimple(s, c, st, hosts);
      if ('step' in r) {
        addStep(out.steps, r.step);
        used = true;
      } else if ('run' in r) {
        const { text, root } = runLine(s);
        addRun(text, root, c);
        used = true;
      } else if ('verify' in r) {
        out.verify.push({
          command: r.verify,
          line: c.line,
          ...(c.section ? { section: c.section, sectionLine: c.sectionLine } : {}),
        });
        used = true;
      } else if ('folded' in r) {
        // A cd inside a run step's paragraph stays in its script too: its later lines run there.
        if (s.words[0]?.value === 'cd' && open && out.steps.at(-1) === open && open.paragraph === c.paragraph) {
          if (cwdBefore !== st.cwd) open.script.push(s.text);
          open.lines.push(c.line);
        } else out.folded.push(c.line);
        used = true;
      } else if (simples.length === 1)
        out.skipped.push({ line: c.line, text: c.text, reason: 'dead end', why: r.skip });
    }
    if (!used && simples.length > 1)
      out.skipped.push({
        line: c.line,
        text: c.text,
        reason: 'dead end',
        why: 'none of its commands changes anything',
      });
  }
  for (const s of out.steps) s.lines = [...new Set(s.lines)].sort((a, b) => a - b);
  return out;
}
