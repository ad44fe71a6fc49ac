/** What failed pip output means, in one line: PEP 668, permissions, a version the index lacks, no pip. */
export function pipFailureHint(tail: readonly string[], o: { python: string; inVenv: boolean; indexUrl?: string }): string | undefined {
  const text = tail.join('\n');
  if (/externally-managed-environment|externally managed/i.test(text)) {
    return `${o.python} is externally managed (PEP 668): install into a venv (a venv step, then venv: <its path> here), or pass args: [--break-system-packages] if you really mean the system python`;
  }
  if (/No module named pip/.test(text)) return `${o.python} has no pip: use a venv (it comes with pip), or install pip for it (e.g. apt install python3-pip)`;
  if (/Permission denied|EACCES|Errno 13|Operation not permitted/i.test(text) && !o.inVenv) {
    return `cannot write ${o.python}'s site-packages as this user: install into a venv (venv: <path>), run as root (root: true), or pass args: [--user]`;
  }
  const missing = /(?:No matching distribution found for|Could not find a version that satisfies the requirement)\s+(\S+)/.exec(text);
  if (missing) {
    return `the index${o.indexUrl ? ` ${o.indexUrl}` : ''} has no ${missing[1]}: check the name and pin, or pick another mirror (--mirror, or the step's index-url)`;
  }
  return undefined;
}
