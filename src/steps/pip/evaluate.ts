import { lastLine, PYTHON_CALL_TIMEOUT_MS } from '../python.js';
import type { StepEnv } from '../types.js';

/**
 * Evaluates requirement specs against what an interpreter has installed, in ONE call of that
 * interpreter: the `packaging` code pip vendors parses the specs and markers (plain `packaging` when pip
 * is absent), `importlib.metadata` lists the installed distributions (pip's `pkg_resources` on pythons
 * before 3.8). Reads only: `-B` writes no bytecode. The specs come on stdin as JSON; one JSON line out.
 */
export const EVALUATE_SCRIPT = String.raw`
import json, os, sys, sysconfig
def main():
    specs = json.loads(sys.stdin.read())
    base = getattr(sys, "base_prefix", sys.prefix)
    out = {"version": "%d.%d.%d" % tuple(sys.version_info[:3]), "executable": sys.executable, "venv": sys.prefix != base}
    stdlib = sysconfig.get_path("stdlib") or ""
    out["externally_managed"] = (not out["venv"]) and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED"))
    purelib = sysconfig.get_path("purelib") or ""
    out["writable"] = os.path.isdir(purelib) and os.access(purelib, os.W_OK)
    try:
        from pip._vendor.packaging.requirements import Requirement
        from pip._vendor.packaging.utils import canonicalize_name
        out["pip"] = True
    except Exception:
        out["pip"] = False
        try:
            from packaging.requirements import Requirement
            from packaging.utils import canonicalize_name
        except Exception:
            out["error"] = "neither pip nor packaging can be imported"
            return out
    installed = {}
    requires = {}
    try:
        from importlib import metadata
        dists = [(d.metadata["Name"], d.version, d) for d in metadata.distributions()]
    except ImportError:
        from pip._vendor import pkg_resources
        dists = [(d.project_name, d.version, None) for d in pkg_resources.working_set]
    for name, version, d in dists:
        if name and canonicalize_name(name) not in installed:
            installed[canonicalize_name(name)] = version  # the first on sys.path is the one imported
            requires[canonicalize_name(name)] = (name, version, d)
    # What \`pip check\` reports, in this same call: every installed distribution's requirements (markers
    # evaluated here, without extras) must be installed in a matching version.
    # Requirement() of the packaging pip vendors is slow (pyparsing): the hundreds of requirements in
    # metadata are split by a pattern, a marker that only names an extra is skipped unparsed, the rest is
    # parsed piecewise, and anything the pattern does not take goes to Requirement() whole.
    import re
    try:
        from pip._vendor.packaging.specifiers import SpecifierSet
        from pip._vendor.packaging.markers import Marker
    except Exception:
        from packaging.specifiers import SpecifierSet
        from packaging.markers import Marker
    simple = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?\s*([<>=!~][^;()]*)?\)?\s*(?:;(.*))?$")
    extra_only = re.compile(r"^\s*\(?\s*extra\s*==\s*['\"][^'\"]*['\"]\s*\)?\s*$")
    class Dep(object):
        __slots__ = ("name", "specifier")
    def parse_dep(text):
        m = simple.match(text)
        if m is None:
            dep = Requirement(text)
            return None if dep.marker is not None and not dep.marker.evaluate({"extra": ""}) else dep
        marker = m.group(3)
        if marker is not None and marker.strip():
            if extra_only.match(marker) or not Marker(marker.strip()).evaluate({"extra": ""}):
                return None
        dep = Dep()
        dep.name = m.group(1)
        dep.specifier = SpecifierSet((m.group(2) or "").strip())
        return dep
    broken = []
    deps = {}  # each distribution's applicable requirements, parsed once
    for key in sorted(requires):
        name, version, d = requires[key]
        deps[key] = []
        if d is None:
            continue
        try:
            reqs = d.requires or []
        except Exception:
            continue
        for text in reqs:
            try:
                dep = parse_dep(text)
                if dep is None:
                    continue
            except Exception:
                continue
            deps[key].append(canonicalize_name(dep.name))
            have = installed.get(canonicalize_name(dep.name))
            if have is None:
                broken.append("%s %s requires %s, which is not installed" % (name, version, dep.name))
            else:
                try:
                    fits = dep.specifier.contains(have, prereleases=True)
                except Exception:
                    fits = True
                if not fits:
                    broken.append("%s %s requires %s%s, but %s %s is installed" % (name, version, dep.name, dep.specifier, dep.name, have))
    out["broken"] = broken
    # What a requirement stands on, as one digest: the distribution and everything it requires, with their
    # versions. An import check that passed for exactly this need not run again (another stack installing
    # into the same venv does not change it, unless it changes something this one uses).
    import hashlib
    def closure_digest(start):
        seen = set()
        todo = [start]
        while todo:
            key = todo.pop()
            if key in seen or key not in installed:
                continue
            seen.add(key)
            todo.extend(deps.get(key, []))
        return hashlib.sha256("\n".join("%s==%s" % (k, installed[k]) for k in sorted(seen)).encode()).hexdigest()[:32]
    results = []
    for spec in specs:
        r = {"spec": spec}
        results.append(r)
        try:
            req = Requirement(spec)
        except Exception as e:
            r["state"] = "invalid"
            r["error"] = str(e)
            continue
        r["name"] = req.name
        r["want"] = str(req.specifier)
        r["extras"] = sorted(req.extras)
        r["url"] = bool(req.url)
        if req.marker is not None:
            r["marker"] = str(req.marker)
            try:
                try:
                    applies = req.marker.evaluate()
                except Exception:
                    applies = req.marker.evaluate({"extra": ""})
            except Exception as e:
                r["state"] = "invalid"
                r["error"] = str(e)
                continue
            if not applies:
                r["state"] = "skipped"
                continue
        have = installed.get(canonicalize_name(req.name))
        if have is None:
            r["state"] = "missing"
            continue
        r["have"] = have
        try:
            ok = req.specifier.contains(have, prereleases=True)
        except Exception:
            r["state"] = "badversion"
            continue
        r["state"] = "ok" if ok else "mismatch"
        if ok:
            r["closure"] = closure_digest(canonicalize_name(req.name))
    out["results"] = results
    return out
print(json.dumps(main()))
`;

/** One spec, as the interpreter judged it. */
export interface SpecResult {
  spec: string;
  state: 'ok' | 'missing' | 'mismatch' | 'skipped' | 'invalid' | 'badversion';
  name?: string;
  /** The specifier set, e.g. `==1.0` or `<2,>=1` ('' for any version). */
  want?: string;
  /** The installed version. */
  have?: string;
  extras?: string[];
  url?: boolean;
  marker?: string;
  error?: string;
  /** A digest of the installed distribution and everything it requires, with versions (state ok). */
  closure?: string;
}

/** What one interpreter call answered. */
export interface Evaluation {
  version: string;
  executable: string;
  venv: boolean;
  externallyManaged: boolean;
  writable: boolean;
  pip: boolean;
  results: Map<string, SpecResult>;
  /** Installed distributions whose requirements are not met, as `pip check` would say (empty: consistent). */
  broken: string[];
}

/** Runs the evaluation (one process) and parses its answer; an Error when it could not tell. */
export async function evaluateSpecs(
  exe: string,
  specs: readonly string[],
  env: StepEnv,
  extraEnv: Record<string, string> = {},
): Promise<Evaluation | Error> {
  const r = await env.runner.run({
    argv: [exe, '-B', '-c', EVALUATE_SCRIPT],
    input: JSON.stringify(specs),
    env: { ...extraEnv, PYTHONDONTWRITEBYTECODE: '1' },
    timeoutMs: PYTHON_CALL_TIMEOUT_MS,
  });
  if (r.spawnError) return new Error(r.spawnError);
  if (r.timedOut) return new Error(`${exe} did not answer in ${PYTHON_CALL_TIMEOUT_MS / 1000}s`);
  if (r.exitCode !== 0) {
    const why = lastLine(r.stderr || r.stdout);
    return new Error(`${exe} exited ${r.exitCode ?? r.signal} while listing its packages${why ? `: ${why}` : ''}`);
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(lastLine(r.stdout)) as Record<string, unknown>;
  } catch {
    return new Error(`${exe} gave an answer that is not JSON: ${lastLine(r.stdout).slice(0, 200)}`);
  }
  if (typeof data.error === 'string') return new Error(`${exe}: ${data.error}`);
  const results = new Map<string, SpecResult>();
  for (const x of (data.results as SpecResult[] | undefined) ?? []) results.set(x.spec, x);
  return {
    version: String(data.version),
    executable: String(data.executable),
    venv: data.venv === true,
    externallyManaged: data.externally_managed === true,
    writable: data.writable === true,
    pip: data.pip === true,
    results,
    broken: Array.isArray(data.broken) ? data.broken.map(String) : [],
  };
}
