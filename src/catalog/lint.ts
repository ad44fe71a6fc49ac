import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Problem } from '../util/errors.js';
import { expandHome } from '../util/paths.js';
import type { Recipe } from './types.js';

/** Warnings about recipes that are valid but will not behave as people expect. */
export function lintRecipe(r: Recipe): Problem[] {
  const out: Problem[] = [];
  for (const s of r.steps) {
    if (s.kind === 'run' && !s.common.check && !s.common.creates && !s.common.unless) {
      out.push({
        severity: 'warning',
        loc: s.loc,
        message: `step ${s.index + 1}${s.common.name ? ` "${s.common.name}"` : ''} has no check: it runs every time`,
        hint: 'add `creates:` or `check:`',
      });
    }
    for (const l of s.impl.lint(s.spec))
      if (l.severity === 'warning') {
        const at = [...s.path, s.alias ?? s.kind, ...l.path];
        out.push({
          severity: 'warning',
          loc: l.needle ? r.source.locIn(at, l.needle, l.nth) : r.source.locOf(at),
          message: l.message,
          hint: l.hint,
        });
      }
    // A file that comes with the recipe (pip's requirements:) must be there: said at the value, before a run.
    for (const f of s.impl.recipeFiles?.(s.spec) ?? []) {
      if (f.file.includes('{{')) continue;
      const full = path.resolve(path.dirname(r.file), expandHome(f.file, homedir()));
      if (!existsSync(full))
        out.push({
          severity: 'error',
          loc: r.source.locOf([...s.path, s.alias ?? s.kind, ...f.path]),
          message: `${f.path.join('.')}: ${full} does not exist`,
          hint: "the path is relative to the recipe file's folder",
        });
    }
    if (s.alias) {
      out.push({
        severity: 'warning',
        loc: r.source.locOf([...s.path, s.alias], true),
        message: `\`${s.alias}:\` is the earlier name of \`${s.kind}:\`; it still works and means the same`,
        hint: `write \`${s.kind}:\`, unless the recipe must still load in setup 0.1.0`,
      });
    }
  }
  if (!r.description)
    out.push({
      severity: 'warning',
      loc: r.source.locOf(['name']),
      message: 'recipe has no description',
      hint: 'add `description:` (shown by setup list)',
    });
  return out;
}
