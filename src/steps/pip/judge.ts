import type { CheckResult } from '../types.js';
import type { Evaluation, SpecResult } from './evaluate.js';

const MAX_LISTED = 8;
const firstLine = (s: string | undefined): string => (s ?? '').split('\n')[0]!.trim();

/** Where the specs were checked, and whether to mention PEP 668 when something is missing. */
export interface JudgeOptions {
  where: string;
  warnExternallyManaged: boolean;
}

/**
 * Turns an interpreter's answer into a check result with a reason people can act on: which package is
 * missing, which version is installed against which is wanted. Pure.
 */
export function judge(specs: readonly string[], ev: Evaluation, o: JudgeOptions): CheckResult {
  const problems: string[] = [];
  const good: string[] = [];
  const notes: string[] = [];
  for (const spec of specs) {
    const r: SpecResult | undefined = ev.results.get(spec);
    if (!r) return { state: 'unknown', reason: `${o.where} gave no answer for "${spec}"` };
    const name = r.name ?? spec;
    const want = r.want ? ` ${r.want}` : '';
    switch (r.state) {
      case 'invalid':
        return { state: 'unknown', reason: `invalid requirement "${spec}": ${firstLine(r.error)}` };
      case 'skipped':
        notes.push(`${name}: marker \`${r.marker}\` does not apply here (ignored)`);
        break;
      case 'missing':
        problems.push(`${name} is not installed${r.want ? ` (wants ${r.want})` : ''}`);
        break;
      case 'mismatch':
        problems.push(`${name} ${r.have} is installed, wants${want}`);
        break;
      case 'badversion':
        problems.push(
          `${name} ${r.have} is installed, but "${r.have}" is not a PEP 440 version, so${want} cannot match it`,
        );
        break;
      case 'ok':
        good.push(`${name} ${r.have}`);
        if (r.extras?.length)
          notes.push(`${name}[${r.extras.join(',')}]: checked the base distribution only, not its extras`);
        if (r.url) notes.push(`${name}: a direct reference, checked only that it is installed`);
        break;
    }
  }
  const noteText = notes.length ? `; ${notes.join('; ')}` : '';
  // A venv whose packages do not fit together (pip check) is not converged, whatever is installed: a
  // torchvision built for another torch imports with "operator torchvision::nms does not exist".
  if (ev.broken.length)
    problems.push(
      `${o.where} has broken requirements (pip check): ${ev.broken.slice(0, 3).join('; ')}${ev.broken.length > 3 ? `; and ${ev.broken.length - 3} more` : ''}`,
    );
  if (problems.length) {
    let reason = problems.join('; ');
    if (o.warnExternallyManaged && ev.externallyManaged) {
      reason += `; note: ${o.where} is externally managed (PEP 668), pip will refuse: use venv:, or args: [--break-system-packages]`;
    } else if (!ev.pip) reason += `; note: ${o.where} has no pip`;
    else if (!ev.venv && !ev.writable)
      reason += `; note: ${o.where}'s site-packages is not writable by this user, pip will fall back to a --user install (or use venv:)`;
    return { state: 'unsatisfied', reason };
  }
  if (!good.length) return { state: 'satisfied', reason: `no requirement applies to python ${ev.version}${noteText}` };
  const listed =
    good.length > MAX_LISTED
      ? `${good.slice(0, MAX_LISTED).join(', ')} and ${good.length - MAX_LISTED} more`
      : good.join(', ');
  return { state: 'satisfied', reason: `${listed} installed in ${o.where}${noteText}` };
}
