import type { RunSummary } from '../run/execute.js';
import { clipLine } from '../util/terminal.js';
import { stepTitle } from './plan-view.js';
import { tilde, type Output } from './output.js';

/** The failure report: step and recipe, where it is defined, command, exit, last lines, log, hint. */
export function renderFailure(o: Output, summary: RunSummary): string {
  const f = summary.failed!;
  const { c } = o;
  const d = f.result.failure?.details ?? {};
  const s = f.step.step;
  const lines = [
    c.red(`✗ ${s.recipe} › ${stepTitle(f.step)} failed: ${f.result.message}`),
    `  step:    ${s.id} (${tilde(o, `${s.loc.file}:${s.loc.line}:${s.loc.col}`)})`,
  ];
  if (d.command) lines.push(`  command: ${tilde(o, d.command.trimEnd().split('\n').join('\n           '))}`);
  if (d.exitCode !== undefined && d.exitCode !== null) lines.push(`  exit:    ${d.exitCode}`);
  if (d.signal) lines.push(`  signal:  ${d.signal}`);
  const tail = (d.tail ?? []).filter((l, i, a) => l.trim() || i < a.length - 1);
  if (tail.length) {
    lines.push(`  last ${tail.length} line${tail.length === 1 ? '' : 's'} of output:`);
    for (const l of tail) lines.push(c.dim(`    │ ${clipLine(l)}`));
  }
  lines.push(`  log:     ${summary.log}`);
  if (d.hint) lines.push(c.yellow(`  hint:    ${d.hint}`));
  return lines.join('\n');
}
