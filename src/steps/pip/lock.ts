import { lastLine, PYTHON_CALL_TIMEOUT_MS } from '../python.js';
import type { LockEntry, StepEnv } from '../types.js';

/**
 * Lists every distribution an interpreter has installed, in one call: `importlib.metadata` (pip's
 * `pkg_resources` before 3.8), the first of a name on sys.path winning (the one imported), names
 * canonicalized as PEP 503 says. Reads only (`-B`). One JSON line out.
 */
export const LIST_SCRIPT = String.raw`
import json, re, sys
def canon(n):
    return re.sub(r"[-_.]+", "-", n).lower()
try:
    from importlib import metadata
    dists = [(d.metadata["Name"], d.version) for d in metadata.distributions()]
except ImportError:
    from pip._vendor import pkg_resources
    dists = [(d.project_name, d.version) for d in pkg_resources.working_set]
out = {}
for name, version in dists:
    if name and canon(name) not in out:
        out[canon(name)] = version
print(json.dumps({"python": "%d.%d.%d" % tuple(sys.version_info[:3]), "distributions": out}))
`;

/** What an interpreter has installed: its version and every distribution (canonical name → version). */
export async function installedDistributions(
  exe: string,
  env: StepEnv,
  stepEnv: Record<string, string>,
): Promise<{ python: string; distributions: Record<string, string> }> {
  const r = await env.runner.run({
    argv: [exe, '-B', '-c', LIST_SCRIPT],
    env: { ...stepEnv, PYTHONDONTWRITEBYTECODE: '1' },
    cwd: env.paths.home,
    timeoutMs: PYTHON_CALL_TIMEOUT_MS,
  });
  if (r.spawnError) throw new Error(`cannot run ${exe}: ${r.spawnError}`);
  if (r.exitCode !== 0)
    throw new Error(
      `${exe} could not list its distributions: ${lastLine(r.stderr) || `exit ${r.exitCode ?? r.signal}`}`,
    );
  const parsed = JSON.parse(lastLine(r.stdout)) as { python: string; distributions: Record<string, string> };
  return parsed;
}

/** A pip step's lock entry: where it installs, that interpreter's version, and every distribution there. */
export function pipLockEntry(
  where: { venv?: string; exe: string },
  found: { python: string; distributions: Record<string, string> },
): LockEntry {
  const distributions: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(found.distributions).sort()) distributions[name] = found.distributions[name]!;
  return {
    ...(where.venv ? { venv: where.venv } : { interpreter: where.exe }),
    python: found.python,
    distributions,
  };
}
