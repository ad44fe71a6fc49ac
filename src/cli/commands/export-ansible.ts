import fs from 'node:fs';
import path from 'node:path';
import { isProfileFile } from '../../catalog/profile.js';
import { secretsOf } from '../../catalog/secrets.js';
import { JS_TREE, writeAnsibleExport, type PayloadSource } from '../../export/ansible-write.js';
import { resolveRecipes, selectRecipes } from '../../plan/session.js';
import { ExitCode, UsageError } from '../../util/errors.js';
import { packageRoot, packageVersion } from '../../util/paths.js';
import { seaBinary } from '../../util/sea.js';
import { formatSize } from '../../util/size.js';
import { sessionFrom } from '../common.js';
import { makeOutput, tilde, writeJson } from '../output.js';
import type { ExportOpts } from './export-opts.js';

/**
 * `setup export ansible <recipe…> -o DIR`: a playbook and role that put envkit, the recipes (their folders),
 * the mirror profile and a bundle on every host and run setup plan / run / doctor there (export/ansible-role.ts).
 * The recipes are resolved first, as plan would: one that does not load exits 2 and nothing is written.
 */
export default async function exportAnsible(names: string[], opts: ExportOpts): Promise<number> {
  const o = makeOutput(opts);
  if (!opts.output) throw new UsageError('say where the export goes: -o DIR');
  if (opts.bundle && opts.mirror)
    throw new UsageError(
      '--bundle and --mirror both name the mirror profile',
      "drop --mirror: the bundle's profile.yaml is the mirror",
    );
  const dir = path.resolve(opts.output);
  const bundle = opts.bundle ? path.resolve(opts.bundle) : undefined;
  const bundleProfile = bundle ? path.join(bundle, 'profile.yaml') : undefined;
  if (bundleProfile && !fs.existsSync(bundleProfile))
    throw new UsageError(
      `${tilde(o, bundle!)} is not a bundle (no profile.yaml); nothing written`,
      'make one with setup bundle <recipe…> -o DIR',
    );
  const binary = opts.binary ? path.resolve(opts.binary) : seaBinary();
  if (opts.binary && !fs.statSync(binary!, { throwIfNoEntry: false })?.isFile())
    throw new UsageError(
      `--binary ${opts.binary}: no such file`,
      'build it with npm run build:sea, which writes dist/setup-linux-x64',
    );
  const mirror = bundleProfile ?? opts.mirror;
  const session = await sessionFrom({ ...opts, ...(mirror ? { mirror } : {}) }, names);
  const recipes = selectRecipes(session, names);
  // As plan would: templates rendered, `when:` evaluated, --set checked; nothing checked on this host.
  await resolveRecipes(session, recipes);

  // The folders of the recipes not shipped with envkit, in the order setup reads them (later wins).
  const folders: string[] = [];
  const rank = { bundled: 0, user: 1, config: 2, flag: 3 } as const;
  for (const r of [...recipes].sort((a, b) => rank[a.origin] - rank[b.origin])) {
    const d = path.dirname(r.file);
    if (r.origin !== 'bundled' && !folders.includes(d)) folders.push(d);
  }
  for (const f of (opts.recipes ?? []).map((d) => path.resolve(d)))
    if (folders.includes(f)) folders.push(...folders.splice(folders.indexOf(f), 1));
  const payload: PayloadSource[] = folders.map((from, i) => ({ name: `recipes/${i}`, from }));
  let mirrorFile: string | undefined;
  if (bundle) {
    payload.push({ name: 'bundle', from: bundle });
    mirrorFile = 'bundle/profile.yaml';
  } else if (mirror && isProfileFile(mirror)) {
    mirrorFile = 'mirror/profile.yaml';
    payload.push({ name: mirrorFile, from: path.resolve(mirror) });
  }
  const secrets = secretsOf(recipes);
  const version = packageVersion();
  const hasJs = JS_TREE.every((p) => fs.existsSync(path.join(packageRoot, p)));
  const result = await writeAnsibleExport(dir, tilde(o, dir), {
    ...(hasJs ? { packageRoot } : {}),
    payload,
    ...(mirrorFile ? { mirrorFile } : {}),
    ...(binary ? { binary } : {}),
    role: {
      recipes: names,
      allRecipes: recipes.map((r) => r.name),
      hosts: opts.hosts ?? 'all',
      recipeDirs: payload.filter((p) => p.name.startsWith('recipes/')).map((p) => p.name),
      ...(mirror && !mirrorFile ? { mirror } : {}),
      sets: opts.set ?? [],
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
      secrets,
      version,
    },
  });
  if (o.json) {
    writeJson(o, 'export', {
      status: 'ok',
      format: 'ansible',
      dir,
      recipes: result.role.allRecipes,
      files: result.files,
      bytes: result.bytes,
      binary: result.role.binary ? (binary ?? null) : null,
      secrets,
    });
    return ExitCode.ok;
  }
  o.out(
    `Wrote an Ansible export of ${result.role.allRecipes.join(', ')} to ${tilde(o, dir)} (${result.files.length} files, ${formatSize(result.bytes)} for the hosts)`,
  );
  if (!binary)
    o.err(
      o.c.yellow(
        '  no single-file setup in it: hosts without Node 20 will stop and say so (build it with npm run build:sea, then export again)',
      ),
    );
  if (secrets.length) o.out(`  secrets the hosts need in envkit_secrets (ansible-vault): ${secrets.join(', ')}`);
  o.out(`Run it: ansible-playbook -i inventory.ini ${tilde(o, path.join(dir, 'site.yml'))} (--check --diff: the plan)`);
  return ExitCode.ok;
}
