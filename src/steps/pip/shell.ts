import { installArgv, type PipConfig } from './command.js';
import { EVALUATE_SCRIPT } from './evaluate.js';
import { pythonShell, venvPython } from '../python.js';
import type { Profile } from '../../lang/schema.js';
import type { ShellStep } from '../types.js';

/**
 * Reads EVALUATE_SCRIPT's answer (its last line, on stdin) and exits 0 when the step is satisfied as the
 * kind's judge says: every requirement installed in a matching version (or its marker not applying here),
 * and nothing broken (what pip check says).
 */
const SATISFIED_SCRIPT = String.raw`
import json, sys
d = json.loads(sys.stdin.read().strip().splitlines()[-1])
ok = not d.get("error") and not d.get("broken") and all(r.get("state") in ("ok", "skipped") for r in d.get("results", []))
sys.exit(0 if ok else 1)
`;

/**
 * A pip step as bash (`setup export sh`): the same interpreter call as the kind's check (EVALUATE_SCRIPT,
 * the specs as JSON on stdin) judged the same way, the `imports:` imported, and the same `pip install` argv
 * (the profile's index options, applied when exporting).
 */
export function pipShell(c: PipConfig, profile: Profile, q: (s: string) => string): ShellStep {
  const py = c.venv ? q(venvPython(c.venv)) : pythonShell(c.python, q);
  const PY = '__envkit_python__';
  const argv = installArgv(c, PY, profile)
    .map((a) => (a === PY ? py : q(a)))
    .join(' ');
  const limits: string[] = [];
  if (c.requirementFiles?.length)
    limits.push(
      'pip: requirements and constraints files are read from the paths they have on the exporting machine, and the check judges only the packages listed in the recipe',
    );
  if (c.upgrade) limits.push('pip: upgrade: true runs every time, as in setup');
  const imports = c.imports.length ? ` && ${py} -c ${q(`import ${c.imports.join(', ')}`)} >/dev/null 2>&1` : '';
  return {
    ...(c.upgrade
      ? {}
      : {
          check: `PYTHONDONTWRITEBYTECODE=1 ${py} -B -c ${q(EVALUATE_SCRIPT)} <<<${q(JSON.stringify(c.packages))} 2>/dev/null | ${py} -B -c ${q(SATISFIED_SCRIPT)}${imports}`,
        }),
    apply: argv,
    ...(limits.length ? { limits } : {}),
  };
}
