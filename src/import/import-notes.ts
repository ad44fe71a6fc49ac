import { RECIPE_NAME } from '../lang/schema.js';
import { convertCommands } from './convert.js';
import { lineRange, renderDraft } from './draft.js';
import { mergeSteps } from './merge.js';
import type { MirrorHosts } from './mirrors.js';
import { extractCommands, type SkippedLine } from './notes.js';
import { installPrefix, usePrefix } from './prefix.js';
import type { DraftStep } from './steps.js';

/** How to read the notes. */
export interface ImportOptions {
  /** The recipe's name; with `split`, the stem of the names of sections without a usable heading. */
  name: string;
  /** The notes file as the user named it (`-` for stdin). */
  source: string;
  hosts: MirrorHosts;
  /** pip installs into the system python go into this venv instead (a venv step makes it). */
  venv?: string;
  /** One recipe per section (Markdown heading) that holds steps. */
  split?: boolean;
  /** With `split`: each recipe requires the one before it (a guess from the notes' order). */
  chain?: boolean;
}

/** One recipe drafted from the notes. */
export interface DraftRecipe {
  name: string;
  /** The heading its steps came from (with `split`). */
  section?: string;
  yaml: string;
  steps: number;
}

/** What `setup import` made of a page of notes: the drafts, and the lines kept and skipped. */
export interface ImportResult {
  recipes: DraftRecipe[];
  /** Lines that became (part of) a step, `cd` and shell variables included; sorted. */
  kept: number[];
  /** Every non-blank line that is not a step, heading or fence, with why; by line. */
  skipped: SkippedLine[];
  /** The notes' install prefix, written as `{{ prefix }}` in the drafts. */
  prefix?: string;
}

/** A recipe name from a heading: its ASCII words in kebab-case, when they make a name with a letter in it. */
function headingName(section: string): string | undefined {
  const n = section
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return RECIPE_NAME.test(n) && /[a-z]{2}/.test(n) ? n : undefined;
}

/** The steps in groups of one recipe each: all of them, or by section in the order the sections come. */
function groups(steps: DraftStep[], opts: ImportOptions): { name: string; section?: string; steps: DraftStep[] }[] {
  if (!opts.split) return [{ name: opts.name, steps }];
  const bySection = new Map<number, DraftStep[]>();
  for (const s of steps) {
    const key = s.sectionLine ?? 0;
    bySection.set(key, [...(bySection.get(key) ?? []), s]);
  }
  const taken = new Set<string>();
  return [...bySection.values()].map((list, i) => {
    const section = list[0]?.section ?? '';
    const want = (section && headingName(section)) || `${opts.name}-${i + 1}`;
    let name = want;
    for (let n = 2; taken.has(name); n++) name = `${want}-${n}`;
    taken.add(name);
    return { name, ...(section ? { section } : {}), steps: list };
  });
}

const ACTIVATE = /^\. \S+\/bin\/activate$/;
const PIP_LINE = /^(sudo\s+)?(pip3?(\.\d+)?|python3?(\.\d+)?\s+-m\s+pip)\s+install\b/;

/** pip steps into the system python → into `venv`, made by a venv step before the first of them. */
function intoVenv(steps: DraftStep[], venv: string): DraftStep[] {
  // A pip line left to a run step (`pip install -r requirements.txt`) still installs into the system python.
  for (const s of steps)
    if (s.kind === 'run' && s.script.some((l) => PIP_LINE.test(l)) && !s.script.some((l) => ACTIVATE.test(l)))
      s.notes.push(
        `TODO: --venv: this step's pip installs into the system python; ${venv}/bin/pip installs into the venv`,
      );
  const first = steps.findIndex((s) => s.kind === 'pip' && !s.venv && !s.python);
  if (first < 0) return steps;
  const out = steps.map((s) => (s.kind === 'pip' && !s.venv && !s.python ? { ...s, venv } : s));
  const at = out[first] as DraftStep;
  if (!steps.some((s) => s.kind === 'venv' && s.path === venv))
    out.splice(first, 0, {
      kind: 'venv',
      path: venv,
      systemSitePackages: false,
      lines: [...at.lines],
      notes: [`--venv: the notes' pip installs into the system python go into ${venv}`],
      paragraph: at.paragraph,
      ...(at.section ? { section: at.section, sectionLine: at.sectionLine } : {}),
    });
  return out;
}

/** Notes text → recipe drafts (pure: the mirror hosts are given). */
export function importNotes(text: string, opts: ImportOptions): ImportResult {
  const found = extractCommands(text);
  const converted = convertCommands(found.commands, opts.hosts);
  const prefix = installPrefix(converted.steps);
  if (prefix) usePrefix(converted.steps, prefix);
  const kept = new Set([
    ...converted.folded,
    ...converted.steps.flatMap((s) => s.lines),
    ...converted.verify.map((v) => v.line),
  ]);
  for (const c of found.commands) if (kept.has(c.line)) for (let l = c.line; l <= c.endLine; l++) kept.add(l);
  const skipped = [...found.skipped, ...converted.skipped].sort((a, b) => a.line - b.line);
  const parts = groups(converted.steps, opts);
  const recipes = parts.map((g, i) => {
    const steps = mergeSteps(opts.venv ? intoVenv(g.steps, opts.venv) : g.steps);
    const lines = [...new Set(g.steps.flatMap((s) => s.lines))].sort((a, b) => a - b);
    const header = opts.split
      ? [`From ${g.section ? `the section "${g.section}"` : 'the notes before any heading'}: ${lineRange(lines)}.`]
      : [`From the notes: kept ${kept.size} lines as ${steps.length} steps, skipped ${skipped.length}.`];
    if (prefix && steps.some((s) => JSON.stringify(s).includes('{{ prefix }}')))
      header.push(
        `The notes install into ${prefix}: the draft installs into setup's prefix ({{ prefix }}); keep theirs with --prefix ${prefix}`,
      );
    const previous = parts[i - 1];
    const requires = opts.chain && previous ? [previous.name] : [];
    if (requires.length) header.push(`requires: ${previous?.name} is a guess from the notes' order (--chain)`);
    const verify = converted.verify.filter((v) => !opts.split || v.sectionLine === g.steps[0]?.sectionLine);
    const yaml = renderDraft(
      steps,
      { name: g.name, source: opts.source, section: g.section, requires, verify },
      header,
    );
    return { name: g.name, ...(g.section ? { section: g.section } : {}), yaml, steps: steps.length };
  });
  return { recipes, kept: [...kept].sort((a, b) => a - b), skipped, ...(prefix ? { prefix } : {}) };
}
