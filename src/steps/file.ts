import fs from 'node:fs/promises';
import { holdsSecretMarker } from '../util/sh-word.js';
import * as z from '../util/zod.js';
import { danglingLink, newFileMode, readIfExists, safeWrite } from '../util/safe-write.js';
import { UnreadableFile } from '../util/user-file.js';
import { defineKind } from './types.js';

/**
 * `mode`: "0644", "644", "0o644" or 644, all meaning octal. A YAML number reaches here only as the
 * digits written (catalog/load.ts refuses `0o644` and `0x…` unquoted, which YAML reads as decimal 420).
 */
export function parseMode(v: string | number): number | undefined {
  const s = String(v).trim().replace(/^0o/i, '');
  if (!/^[0-7]{3,4}$/.test(s)) return undefined;
  return Number.parseInt(s, 8);
}

const fileSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .meta({ description: 'The file to write (~/ allowed).', examples: ['~/.config/matplotlib/matplotlibrc'] }),
  content: z.string().meta({
    description: 'Its whole content; templates are rendered.',
    examples: ['font.family: sans-serif\nfont.sans-serif: Noto Sans CJK SC, DejaVu Sans\n'],
  }),
  mode: z
    .union([z.string(), z.number()])
    .refine((v) => parseMode(v) !== undefined, { message: 'bad file mode: write octal like "0644" or "0755"' })
    .optional()
    .meta({
      description:
        'Octal permissions: a quoted string ("0644", "0o644") or plain digits (644, 0644). An unquoted `0o644` or `0x1a4` is refused: YAML reads it as another number.',
      examples: ['0644', '0755'],
    }),
});

interface FileConfig {
  path: string;
  content: string;
  mode?: number;
}

/** `file`: a whole file with this content (and mode), written atomically with a backup of the original. */
export const fileKind = defineKind<z.infer<typeof fileSchema>, FileConfig>({
  kind: 'file',
  description:
    'Writes a whole file with the given content and mode, atomically, keeping a one-time backup of an existing original. A new file that holds a secret is created 0600 (unless `mode` says otherwise); a symlink is written through, the link kept; a symlink whose target does not exist is refused.',
  satisfiedWhen: '`path` holds exactly `content` (and has `mode`, when given).',
  schema: fileSchema,
  lint: (spec) => {
    const mode = spec.mode === undefined ? undefined : parseMode(spec.mode);
    if (mode === undefined || !(mode & 0o7000)) return [];
    const bits = [mode & 0o4000 && 'setuid', mode & 0o2000 && 'setgid', mode & 0o1000 && 'sticky'].filter(Boolean);
    return [
      {
        path: ['mode'],
        severity: 'warning',
        message: `mode ${mode.toString(8).padStart(4, '0')} sets the ${bits.join(', ')} bit${bits.length > 1 ? 's' : ''} on a file this step writes`,
        hint: `a setuid/setgid file runs as its owner or group; write mode ${(mode & 0o777).toString(8).padStart(4, '0')} unless that is meant`,
      },
    ];
  },
  resolve: (spec, t) => ({
    path: t.path(spec.path),
    content: t.str(spec.content),
    mode: spec.mode === undefined ? undefined : parseMode(spec.mode),
  }),
  describe: (step) => {
    const c = step.config;
    const mode = c.mode === undefined ? '' : `, mode ${c.mode.toString(8).padStart(4, '0')}`;
    return { summary: `write ${c.path} (${Buffer.byteLength(c.content)} bytes${mode})`, files: [c.path] };
  },
  check: async (step) => {
    const c = step.config;
    let text: string | undefined;
    try {
      text = await readIfExists(c.path);
    } catch (e) {
      return {
        state: 'unknown',
        reason:
          e instanceof UnreadableFile
            ? e.message
            : `cannot read ${c.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      };
    }
    if (text === undefined) {
      const link = await danglingLink(c.path);
      return {
        state: 'unsatisfied',
        reason:
          link === undefined
            ? `${c.path} does not exist`
            : `${c.path} is a symlink to ${link}, which does not exist (setup will not replace the link: create its target or remove it)`,
      };
    }
    if (text !== c.content) return { state: 'unsatisfied', reason: `${c.path} has other content` };
    if (c.mode !== undefined) {
      const mode = (await fs.stat(c.path)).mode & 0o7777;
      if (mode !== c.mode)
        return {
          state: 'unsatisfied',
          reason: `${c.path} has mode ${mode.toString(8).padStart(4, '0')}, wants ${c.mode.toString(8).padStart(4, '0')}`,
        };
    }
    return { state: 'satisfied', reason: `${c.path} is up to date` };
  },
  shell: (step, ctx) => {
    const c = step.config;
    const p = ctx.q(c.path);
    const mode = c.mode === undefined ? '' : c.mode.toString(8).padStart(4, '0');
    // As setup does: a new file that holds a secret is created 0600, an existing one keeps its mode.
    const secret = holdsSecretMarker(c.content) ? `"$([ -e ${p} ] || echo 0600)"` : "''";
    return {
      check: `_same ${p} ${ctx.q(c.content)}${mode ? ` && _mode_is ${p} ${mode}` : ''}`,
      apply: `printf '%s' ${ctx.q(c.content)} | _write ${p} ${mode ? mode : secret}`,
      limits: ['keeps no backup of the file it replaces (setup keeps one under its state folder)'],
    };
  },
  render: async (step, _env, read) => {
    const c = step.config;
    const before = await read(c.path);
    const had =
      before === undefined
        ? undefined
        : await fs.stat(c.path).then(
            (st) => st.mode & 0o7777,
            () => undefined,
          );
    const want = c.mode ?? (before === undefined ? newFileMode(c.content) : undefined);
    const mode = want !== undefined && had !== want ? { mode: { before: had, after: want } } : {};
    return [{ path: c.path, before, after: c.content, ...mode }];
  },
  apply: async (step, env) => {
    const { backup } = await safeWrite(step.config.path, step.config.content, {
      backupDir: env.paths.backups,
      mode: step.config.mode,
    });
    if (backup) env.log(`backed up the original ${step.config.path} to ${backup}`);
    env.log(`wrote ${step.config.path}`);
  },
  examples: [
    `- name: Matplotlib uses a CJK font\n  file:\n    path: ~/.config/matplotlib/matplotlibrc\n    content: |\n      font.family: sans-serif\n      font.sans-serif: Noto Sans CJK SC, DejaVu Sans\n    mode: "0644"`,
  ],
});
