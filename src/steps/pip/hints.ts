/** What failed pip output means, in one line: PEP 668, permissions, a version the index lacks, no pip. */
export function pipFailureHint(
  tail: readonly string[],
  o: { python: string; inVenv: boolean; indexUrl?: string },
): string | undefined {
  const text = tail.join('\n');
  if (/externally-managed-environment|externally managed/i.test(text)) {
    return `${o.python} is externally managed (PEP 668): install into a venv (a venv step, then venv: <its path> here), or pass args: [--break-system-packages] if you really mean the system python`;
  }
  if (/No module named pip/.test(text))
    return `${o.python} has no pip: use a venv (it comes with pip), or install pip for it (e.g. apt install python3-pip)`;
  if (/Permission denied|EACCES|Errno 13|Operation not permitted/i.test(text) && !o.inVenv) {
    return `cannot write ${o.python}'s site-packages as this user: install into a venv (venv: <path>), run as root (root: true), or pass args: [--user]`;
  }
  const resolution = resolutionHint(text, o.indexUrl);
  if (resolution) return resolution;
  const missing =
    /(?:No matching distribution found for|Could not find a version that satisfies the requirement)\s+(\S+)/.exec(text);
  if (missing) {
    return `the index${o.indexUrl ? ` ${o.indexUrl}` : ''} has no ${missing[1]}: check the name and pin, or pick another mirror (--mirror, or the step's index-url)`;
  }
  return undefined;
}

/** pip's words for an index it could not reach. */
export const UNREACHABLE =
  /NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|getaddrinfo|Max retries exceeded|ConnectTimeout|Read timed out/i;

/**
 * Why pip could not resolve, when the cause is known: an unreachable index (named), a constraint that
 * conflicts (often from the host's own pip config: /etc/pip.conf, PIP_CONSTRAINT), a name that does not resolve.
 */
export function resolutionHint(text: string, indexUrl?: string, profileConstraint = false): string | undefined {
  const ignored = /repository located at (\S+) is not a trusted or secure host and is being ignored/.exec(text);
  if (ignored)
    return `pip ignores the index at ${ignored[1]}: it is plain http and not a trusted host (add it to the profile's pip.trusted-host, or use https)`;
  if (UNREACHABLE.test(text)) {
    const host = /host='([^']+)'/.exec(text)?.[1];
    return `the index ${host ?? indexUrl ?? ''} cannot be reached: check the network or the mirror profile (--mirror), or point pip at a reachable index`.replace(
      '  ',
      ' ',
    );
  }
  if (
    /constraint|Cannot install .* because these package versions have conflicting dependencies|ResolutionImpossible/i.test(
      text,
    )
  ) {
    const block = /The conflict is caused by:\s*\n((?:[ \t]+\S.*\n?)+)/.exec(text)?.[1];
    const causes = (block ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 4)
      .join('; ');
    const constrained = profileConstraint || /constraint/i.test(text);
    return `the requirements conflict${causes ? ` (${causes})` : ''}: ${constrained ? "a constraint takes part: it may come from the host's pip config (pip config list; PIP_CONSTRAINT, /etc/pip.conf) or the profile's pip.constraint — change the pins, or the constraint" : 'change the pins so they fit together'}`;
  }
  return undefined;
}

/**
 * The hint for a step whose `imports:` fail after pip installed what was asked: a module that no installed
 * distribution provides (`import sklearn`, not `scikit-learn`; a typo) is the recipe's name for it; any other
 * failure (an ImportError inside a package, a missing shared library) is builds that do not fit together.
 */
export function importFailureHint(line: string): string {
  const m = /^import (\S+) fails: ModuleNotFoundError: No module named '([^']+)'/.exec(line);
  if (m && m[1] !== undefined && m[2] !== undefined && (m[1] === m[2] || m[1].startsWith(`${m[2]}.`)))
    return `no installed distribution provides the module ${m[2]}: imports: names modules (sklearn for scikit-learn, yaml for PyYAML) — check the name, or add the package that provides it`;
  return 'the installed wheels do not work together (e.g. a CUDA build of torchvision over a CPU build of torch): pick versions, or an index, whose builds match';
}
