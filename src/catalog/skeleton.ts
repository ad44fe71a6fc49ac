import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import { writeVerified } from '../util/verified-write.js';
import { RECIPE_NAME } from '../lang/schema.js';

/**
 * The text of a new recipe: the yaml-language-server line pointing at `schemaUrl`, then a minimal recipe
 * that validates as it is, without warnings (one self-checking step), with comments saying what to change.
 */
export function recipeSkeleton(name: string, schemaUrl: string, kinds: readonly string[]): string {
  return `# yaml-language-server: $schema=${schemaUrl}
# A recipe for \`setup\`: \`setup plan ${name}\` previews it, \`setup run ${name}\` runs it.
# Your editor completes and explains every key through the schema above; see also docs/recipes.md.
format: 1
name: ${name}
description: What ${name} sets up, in one line
requires: []                        # recipes that run first when needed, e.g. [build-tools, cmake]
vars:
  version: "1.0.0"                  # --set ${name}.version=... overrides it
steps:
  # Each step has one kind: ${kinds.join(', ')}.
  # This one writes a file, and knows when it is already there; replace it with yours.
  - name: Write a note
    file:
      path: "{{ dirs.state }}/notes/${name}.txt"
      content: "${name} {{ version }}, set up by envkit\\n"
  # A run step says how to tell it is done, so that a re-run is a no-op:
  # - name: Build ${name}
  #   run: make install PREFIX={{ prefix }}
  #   cwd: "{{ dirs.src }}/${name}"
  #   creates: "{{ prefix }}/bin/${name}"       # or check: ${name} --version
# verify:                           # what \`setup doctor ${name}\` checks
#   - command: ${name} --version
#     version: ">=1.0"
`;
}

/** Refuses a name that is not kebab-case, saying which spelling would do. */
export function checkRecipeName(name: string): void {
  if (RECIPE_NAME.test(name)) return;
  const kebab = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  throw new UsageError(
    `"${name}" is not a recipe name: names are kebab-case, lowercase letters, digits and -`,
    kebab ? `e.g. setup init ${kebab}` : undefined,
  );
}

/** Writes `<dir>/<name>.yaml` (creating `dir`); never overwrites: an existing recipe of that name is exit 2. */
export async function writeSkeleton(
  dir: string,
  name: string,
  schemaUrl: string,
  kinds: readonly string[],
): Promise<string> {
  checkRecipeName(name);
  const file = path.join(dir, `${name}.yaml`);
  for (const twin of [file, path.join(dir, `${name}.yml`)]) {
    if (await fs.lstat(twin).catch(() => null))
      throw new UsageError(`${twin} already exists`, 'edit it, or pick another name');
  }
  await fs.mkdir(dir, { recursive: true });
  try {
    // Exclusive: linked into place only if absent, so a file made since the check above is not overwritten either.
    await writeVerified(file, recipeSkeleton(name, schemaUrl, kinds), {
      exclusive: true,
      mode: 0o644,
      denied: 'write it to a folder you may write: --dir DIR',
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${file} already exists`, 'edit it, or pick another name');
    throw e;
  }
  return file;
}
