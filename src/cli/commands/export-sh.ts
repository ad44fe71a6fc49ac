import fs from 'node:fs';
import path from 'node:path';
import { secretsOf } from '../../catalog/secrets.js';
import { isShExport, limitLine, renderSh, SCRIPT_FACTS } from '../../export/sh.js';
import { resolveRecipes, selectRecipes, type Session } from '../../plan/session.js';
import { InputError, UsageError } from '../../util/errors.js';
import { secretMarker } from '../../util/sh-word.js';
import { fileKind, MiB, readUserFileSync, UnreadableFile } from '../../util/user-file.js';
import { writeVerified } from '../../util/verified-write.js';
import { sessionFrom } from '../common.js';
import { makeOutput, tilde, writeJson } from '../output.js';
import type { ExportOpts } from './export-opts.js';

/** `setup export sh <recipe…> [-o FILE]`: one bash script, each step guarded by its check. */
export default async function exportSh(names: string[], opts: ExportOpts): Promise<number> {
  const o = makeOutput(opts);
  if (!names.length)
    throw new UsageError('setup export sh needs the recipes to export', 'setup export sh <recipe…> -o setup.sh');
  const file = opts.output === undefined ? undefined : path.resolve(opts.output);
  // Said before anything is read: a script with nowhere to go is bad input, not a failed run.
  const stat = (p: string): fs.Stats | undefined => {
    try {
      return fs.statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      throw new UsageError(
        `-o ${opts.output}: cannot look into ${path.dirname(p)}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}`,
        'write the script to a folder you may write: -o FILE',
      );
    }
  };
  if (file && !stat(path.dirname(file))?.isDirectory())
    throw new UsageError(
      `-o ${opts.output}: no folder ${path.dirname(file)}`,
      'create it first, or write the script elsewhere',
    );
  if (file && stat(file)?.isDirectory())
    throw new UsageError(
      `-o ${opts.output} is a folder: the sh export writes one file`,
      'setup export sh <recipe…> -o FILE',
    );
  // As bundle and export ansible do with a folder: only an earlier export is written over, never a user's file.
  const existing = file ? stat(file) : undefined;
  if (file && existing) {
    const kind = fileKind(existing);
    let ours = false;
    if (!kind && existing.size) {
      try {
        ours = isShExport(readUserFileSync(file, { maxBytes: 16 * MiB, what: 'exported scripts' }).toString('utf8'));
      } catch (e) {
        if (!(e instanceof UnreadableFile)) throw e;
      }
    }
    if (kind || (existing.size && !ours))
      throw new UsageError(
        `-o ${opts.output} ${kind ? `is ${kind}` : 'exists and is not a script setup export sh wrote'}; nothing written`,
        kind
          ? 'write the script to a regular file: -o FILE'
          : 'remove it first, or write the script elsewhere: -o FILE',
      );
  }
  const session = await sessionFrom(opts, names);
  const recipes = selectRecipes(session, names);
  // Secrets are resolved as markers the script's quoting turns into references to the environment: the
  // values (the environment's or the secrets file's) are never read, so none can reach the script.
  const markers = Object.fromEntries(secretsOf(recipes).map((n) => [n, secretMarker(n)]));
  const marked: Session = {
    ...session,
    stepEnv: { ...session.stepEnv, processEnv: { ...session.stepEnv.processEnv, ...markers } },
  };
  const resolved = await resolveRecipes(marked, recipes);
  const facts = {
    ...resolved.facts,
    ...(await session.stepEnv.facts.gather([...SCRIPT_FACTS, 'pkg_manager'])),
  };
  const scriptFacts = Object.fromEntries(
    SCRIPT_FACTS.filter((k) => facts[k] !== null && facts[k] !== undefined).map((k) => [k, String(facts[k])]),
  );
  const sh = renderSh(
    { names, recipes: resolved.recipes, env: marked.stepEnv, facts, mirror: session.stepEnv.profile.name },
    scriptFacts,
  );
  if (sh.problems.length) throw new InputError(sh.problems);
  if (file)
    await writeVerified(file, sh.text, { mode: 0o755, denied: 'write the script to a folder you may write: -o FILE' });
  if (o.json) {
    writeJson(o, 'export-sh', {
      status: 'ok',
      file: file ?? null,
      ...(file ? {} : { script: sh.text }),
      steps: sh.steps,
      skipped: sh.skipped,
      limits: sh.limits,
      secrets: sh.secrets,
      facts: sh.facts,
    });
    return 0;
  }
  if (!file) o.out(sh.text);
  if (!o.quiet) {
    const lines = [
      `${file ? `wrote ${tilde(o, file)}: ` : ''}${sh.steps.length} steps of ${resolved.recipes.map((r) => r.recipe.name).join(', ')}`,
      ...(sh.skipped.length ? [`left out by when: ${sh.skipped.map((s) => s.id).join(', ')}`] : []),
      ...(sh.secrets.length ? [`the script reads these secrets from the environment: ${sh.secrets.join(', ')}`] : []),
      ...(sh.limits.length ? ['not as setup does it (also in the script’s header):', ...sh.limits.map(limitLine)] : []),
    ];
    o.err(lines.join('\n'));
  }
  return 0;
}
