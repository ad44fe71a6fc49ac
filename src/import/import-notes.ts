import { convertCommands } from './convert.js';
import { renderDraft } from './draft.js';
import { mergeSteps } from './merge.js';
import type { MirrorHosts } from './mirrors.js';
import { extractCommands, type SkippedLine } from './notes.js';

/** What `setup import` made of a page of notes: the draft, and the count of lines kept and skipped. */
export interface ImportResult {
  yaml: string;
  steps: number;
  /** Lines that became (part of) a step, `cd` and shell variables included; sorted. */
  kept: number[];
  /** Every non-blank line that is not a step, heading or fence, with why; by line. */
  skipped: SkippedLine[];
}

/** Notes text → a recipe draft (pure: the mirror hosts are given). */
export function importNotes(text: string, opts: { name: string; source: string; hosts: MirrorHosts }): ImportResult {
  const found = extractCommands(text);
  const converted = convertCommands(found.commands, opts.hosts);
  const steps = mergeSteps(converted.steps);
  const kept = new Set([...converted.folded, ...converted.steps.flatMap((s) => s.lines)]);
  for (const c of found.commands) if (kept.has(c.line)) for (let l = c.line; l <= c.endLine; l++) kept.add(l);
  const skipped = [...found.skipped, ...converted.skipped].sort((a, b) => a.line - b.line);
  const header = [`From the notes: kept ${kept.size} lines as ${steps.length} steps, skipped ${skipped.length}.`];
  return {
    yaml: renderDraft(steps, { name: opts.name, source: opts.source }, header),
    steps: steps.length,
    kept: [...kept].sort((a, b) => a - b),
    skipped,
  };
}
