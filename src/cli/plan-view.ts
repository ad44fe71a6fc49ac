import type { Plan, PlannedStep, StepState } from '../plan/plan.js';
import { tilde, type Output } from './output.js';

const WORD: Record<StepState, string> = {
  satisfied: 'satisfied',
  pending: 'will run',
  skipped: 'skipped',
  unknown: 'could not tell',
  blocked: 'blocked',
  excluded: 'left out',
};

/** The symbol and colour of a state. */
export function mark(o: Output, state: StepState): string {
  const { c } = o;
  return {
    satisfied: c.green('✓'),
    pending: c.yellow('→'),
    skipped: c.dim('○'),
    unknown: c.magenta('?'),
    blocked: c.red('✗'),
    excluded: c.dim('–'),
  }[state];
}

/** A step's display name: its `name`, else what it does. */
export function stepTitle(s: PlannedStep): string {
  return s.step.name || s.action.summary;
}

const MAX_COMMAND_LINES = 6;

/** What a step will do, as lines: its commands (`$ …`, long scripts cut), else its summary when the title is a name. */
function details(s: PlannedStep): string[] {
  const out: string[] = [];
  for (const cmd of s.action.commands ?? []) {
    const lines = cmd.trimEnd().split('\n');
    const shown = lines.slice(0, MAX_COMMAND_LINES);
    out.push(...shown.map((l, i) => (i === 0 ? `$ ${l}` : `  ${l}`)));
    if (lines.length > shown.length)
      out.push(
        `  … ${lines.length - shown.length} more line${lines.length - shown.length === 1 ? '' : 's'} (setup show ${s.step.recipe})`,
      );
  }
  if (!out.length && s.step.name) out.push(s.action.summary);
  out.push(...(s.action.urls ?? []).map((u) => `url ${u}`));
  out.push(...(s.action.notes ?? []));
  return out;
}

/**
 * A unified diff (plan/diff.ts) as lines for people: headers bold with the home folder as `~`, hunks cyan,
 * removed lines red, added green (colour only when the output has it); '' says the files stay as they are.
 */
export function renderDiff(o: Output, diff: string): string[] {
  const { c } = o;
  if (!diff) return [c.dim('(the files already hold this; only the check differs)')];
  return crlfShown(diff.replace(/\n$/, '').split('\n')).map((l) =>
    /^(---|\+\+\+) /.test(l)
      ? c.bold(tilde(o, l))
      : l === CRLF_NOTE || l.startsWith('Binary files ')
        ? c.dim(tilde(o, l))
        : l.startsWith('@@')
          ? c.cyan(l)
          : l.startsWith('+')
            ? c.green(l)
            : l.startsWith('-')
              ? c.red(l)
              : /^(old|new|new file) mode |^\\ /.test(l)
                ? c.dim(l)
                : l,
  );
}

const CRLF_NOTE = '(CRLF line endings)';

/**
 * A diff's lines for the terminal: a file whose every line ends in `\r` (CRLF) is shown without them and
 * said once under its header, not as a `\x0d` on each line. Mixed endings stay visible. (--json and the
 * log keep the `\r`: `patch` needs them.)
 */
function crlfShown(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith('--- ')) end++;
    const file = lines.slice(i, end);
    const body = file.filter((l) => /^[ +-]/.test(l) && !/^(---|\+\+\+) /.test(l));
    if (body.length && body.every((l) => l.endsWith('\r'))) {
      const at = file.findIndex((l) => l.startsWith('+++ ')) + 1;
      const bare = file.map((l) => (/^[ +-]/.test(l) && !/^(---|\+\+\+) /.test(l) ? l.slice(0, -1) : l));
      out.push(...bare.slice(0, at), CRLF_NOTE, ...bare.slice(at));
    } else out.push(...file);
    i = end;
  }
  return out;
}

/** The human plan: one tree per recipe, a line per step with its state and reason, details for what will run. */
export function renderPlan(o: Output, plan: Plan): string {
  const { c } = o;
  const lines: string[] = [];
  for (const r of plan.recipes) {
    lines.push(`${c.bold(r.name)}${r.description ? c.dim('  ' + r.description) : ''}`);
    r.steps.forEach((s, i) => {
      const last = i === r.steps.length - 1;
      const branch = last ? '└─' : '├─';
      const pipe = last ? '   ' : '│  ';
      const reason = s.state === 'pending' && s.reason === 'no check' ? 'no check' : s.reason;
      const color =
        s.state === 'pending' ? c.yellow : s.state === 'unknown' ? c.magenta : s.state === 'blocked' ? c.red : c.dim;
      // A step left out says by what, and what it would be otherwise (so a left-out dependency is visible).
      const said = s.leftOut
        ? `${s.reason} (${s.leftOut.state === 'pending' ? 'would run' : WORD[s.leftOut.state]}: ${s.leftOut.reason})`
        : `${WORD[s.state]}: ${reason}`;
      lines.push(`${c.dim(branch)} ${mark(o, s.state)} ${tilde(o, stepTitle(s))}  ${color(tilde(o, said))}`);
      if (s.state === 'pending' || s.state === 'unknown' || s.state === 'blocked') {
        for (const d of details(s)) lines.push(`${c.dim(pipe)}   ${c.dim(tilde(o, d))}`);
        for (const w of s.action.warnings ?? []) lines.push(`${c.dim(pipe)}   ${c.red(w)}`);
        if (s.diff !== undefined) for (const d of renderDiff(o, s.diff)) lines.push(`${c.dim(pipe)}   ${d}`);
      }
    });
    if (r.meta)
      lines.push(
        c.dim(
          r.requires.length
            ? `└─ (no steps of its own: it is what it requires, ${r.requires.join(', ')})`
            : '└─ (no steps)',
        ),
      );
  }
  lines.push('', summaryLine(o, plan));
  return lines.join('\n');
}

/** `3 to run, 2 satisfied, 1 skipped.` or `Nothing to do: 5 satisfied.` */
export function summaryLine(o: Output, plan: Plan): string {
  const n = plan.counts;
  const parts = [
    n.pending ? o.c.yellow(`${n.pending} to run`) : '',
    n.unknown ? o.c.magenta(`${n.unknown} could not tell`) : '',
    n.blocked ? o.c.red(`${n.blocked} blocked`) : '',
    n.satisfied ? o.c.green(`${n.satisfied} satisfied`) : '',
    n.skipped ? `${n.skipped} skipped` : '',
    n.excluded ? `${n.excluded} left out` : '',
  ].filter(Boolean);
  const todo = n.pending + n.unknown + n.blocked;
  return `${todo === 0 ? o.c.green('Nothing to do: ') : ''}${parts.join(', ') || 'no steps'}.`;
}

/** The plan as JSON data (absolute paths, no colour). */
export function planJson(plan: Plan): object {
  return {
    counts: plan.counts,
    recipes: plan.recipes.map((r) => ({
      name: r.name,
      description: r.description,
      file: r.file,
      state: r.state,
      meta: r.meta,
      steps: r.steps.map((s) => ({
        id: s.step.id,
        name: s.step.name || null,
        kind: s.step.kind,
        state: s.state,
        reason: s.reason,
        action: s.action,
        location: `${s.step.loc.file}:${s.step.loc.line}:${s.step.loc.col}`,
        ...(s.diff !== undefined ? { diff: s.diff } : {}),
        ...(s.step.tags?.length ? { tags: s.step.tags } : {}),
        ...(s.leftOut ? { leftOut: s.leftOut } : {}),
      })),
    })),
  };
}
