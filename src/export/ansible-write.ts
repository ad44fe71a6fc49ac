import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { create as createTar } from 'tar';
import { EnvkitError, ExitCode, UsageError } from '../util/errors.js';
import { writeVerified } from '../util/verified-write.js';
import {
  ansibleCfg,
  defaultsYaml,
  EXPORT_README_MARK,
  inventoryExample,
  readmeText,
  siteYaml,
  tasksYaml,
  type AnsibleExport,
} from './ansible-role.js';

/** The JS tree a host with Node 20 runs, relative to the package root (the bundles need nothing else). */
export const JS_TREE = ['bin/setup', 'bin/package.json', 'package.json', 'dist/setup', 'recipes', 'schema'];

/** What goes on the hosts besides envkit: folders and files on this machine, by their name in the payload. */
export interface PayloadSource {
  /** Path inside the payload folder (e.g. `recipes/0`, `mirror/local.yaml`, `bundle`). */
  name: string;
  /** The folder or file here. */
  from: string;
}

/** What writeAnsibleExport needs besides the texts' values. */
export interface ExportInputs {
  /** The package root (holds JS_TREE); undefined where it has no JS tree (setup runs as the single file). */
  packageRoot?: string;
  payload: PayloadSource[];
  /** The mirror profile as a path inside the payload (a file or a bundle's profile.yaml); else role.mirror. */
  mirrorFile?: string;
  /** The single-file setup to ship, if any. */
  binary?: string;
  role: Omit<AnsibleExport, 'jsArchive' | 'jsDir' | 'payloadArchive' | 'payloadDir' | 'binary'>;
}

/** What was written. */
export interface ExportResult {
  dir: string;
  files: string[];
  /** Bytes of roles/envkit/files. */
  bytes: number;
  role: AnsibleExport;
}

/** Entries whose name starts with a dot, and node_modules, stay home: a recipe folder may be a project. */
const kept = (rel: string): boolean => rel.split('/').every((seg) => !seg.startsWith('.') && seg !== 'node_modules');

/** sha256 over every file kept under a folder, links followed (names, modes and bytes, sorted). */
async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const name of (await fs.readdir(d)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (!kept(r)) continue;
      const st = await fs.stat(path.join(d, name));
      if (st.isDirectory()) await walk(path.join(d, name), r);
      else {
        h.update(`${r}\0${st.mode & 0o111 ? 'x' : '-'}\0`);
        h.update(await fs.readFile(path.join(d, name)));
      }
    }
  };
  await walk(dir, '');
  return h.digest('hex').slice(0, 12);
}

/**
 * Archives the sources as files/<stem>-<hash>.tar(.gz), entries under <stem>-<hash>/: the folder name on
 * the host changes exactly when the content does. The staging folder holds links only (a bundle of
 * gigabytes is read once for the hash and once into the archive, never copied).
 */
async function archive(
  filesDir: string,
  stem: string,
  sources: readonly PayloadSource[],
  gzip: boolean,
): Promise<{ archive: string; dir: string }> {
  const stage = path.join(filesDir, `.stage-${stem}`);
  await fs.mkdir(stage, { recursive: true });
  try {
    for (const s of sources) {
      const to = path.join(stage, s.name);
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.symlink(path.resolve(s.from), to);
    }
    const dir = `${stem}-${await treeHash(stage)}`;
    const name = `${dir}.tar${gzip ? '.gz' : ''}`;
    await createTar(
      {
        gzip,
        cwd: stage,
        prefix: dir,
        portable: true,
        follow: true,
        filter: (p) => kept(p.replace(/^\.\//, '')),
        file: path.join(filesDir, name),
        mtime: new Date(0),
      },
      (await fs.readdir(stage)).sort(),
    );
    return { archive: name, dir };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/** Whether a folder may be written over: missing, empty, or an earlier export (its README says so). */
export async function checkTarget(dir: string, shown: string): Promise<'new' | 'empty' | 'export'> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st) return 'new';
  if (!st.isDirectory()) throw new UsageError(`${shown} is not a folder; nothing written`, 'give -o a folder');
  const names = await fs.readdir(dir);
  if (!names.length) return 'empty';
  const readme = await fs.readFile(path.join(dir, 'README'), 'utf8').catch(() => '');
  if (readme.startsWith(EXPORT_README_MARK)) return 'export';
  throw new UsageError(
    `${shown} is not an earlier Ansible export and is not empty; nothing written`,
    'export into a new or empty folder (or one setup export ansible wrote), e.g. -o ./fleet',
  );
}

/**
 * Writes the export into a temp folder beside DIR and renames it in (an earlier export's reports/ kept),
 * so DIR is never half-written: site.yml, ansible.cfg, inventory.example.ini, README, reports/ and
 * roles/envkit/{defaults,tasks,files}.
 */
export async function writeAnsibleExport(dir: string, shown: string, inputs: ExportInputs): Promise<ExportResult> {
  const state = await checkTarget(dir, shown);
  const parent = path.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.envkit-tmp-${randomBytes(6).toString('hex')}`);
  try {
    const filesDir = path.join(tmp, 'roles', 'envkit', 'files');
    await fs.mkdir(filesDir, { recursive: true });
    const root = inputs.packageRoot;
    const js = root
      ? await archive(
          filesDir,
          'envkit-js',
          JS_TREE.map((p) => ({ name: p, from: path.join(root, p) })),
          true,
        )
      : undefined;
    const payload = inputs.payload.length
      ? await archive(filesDir, 'envkit-payload', inputs.payload, false)
      : undefined;
    let binary: string | undefined;
    if (inputs.binary) {
      binary = 'setup-linux-x64';
      await fs.copyFile(inputs.binary, path.join(filesDir, binary));
      await fs.chmod(path.join(filesDir, binary), 0o755);
    }
    const role: AnsibleExport = {
      ...inputs.role,
      jsArchive: js?.archive ?? '',
      jsDir: js?.dir ?? '',
      ...(payload ? { payloadArchive: payload.archive, payloadDir: payload.dir } : {}),
      // Paths inside the payload are relative to envkit_dir, where setup runs (chdir).
      recipeDirs: inputs.role.recipeDirs.map((d) => (payload ? `${payload.dir}/${d}` : d)),
      ...(inputs.mirrorFile && payload ? { mirror: `${payload.dir}/${inputs.mirrorFile}` } : {}),
      ...(binary ? { binary } : {}),
    };
    const texts: [string, string][] = [
      ['site.yml', siteYaml(role)],
      ['ansible.cfg', ansibleCfg()],
      ['inventory.example.ini', inventoryExample(role)],
      ['README', readmeText(role)],
      ['roles/envkit/defaults/main.yml', defaultsYaml(role)],
      ['roles/envkit/tasks/main.yml', tasksYaml()],
    ];
    for (const [name, text] of texts) {
      await fs.mkdir(path.dirname(path.join(tmp, name)), { recursive: true });
      await writeVerified(path.join(tmp, name), text);
    }
    // What an earlier export holds that this one does not write (reports/, an inventory, group_vars/) stays.
    if (state === 'export') {
      const ours = new Set(['roles', ...texts.map(([n]) => n.split('/')[0]!)]);
      for (const name of await fs.readdir(dir))
        if (!ours.has(name)) await fs.rename(path.join(dir, name), path.join(tmp, name));
    }
    await fs.mkdir(path.join(tmp, 'reports'), { recursive: true });
    let bytes = 0;
    const files = [...texts.map(([n]) => n)];
    for (const f of await fs.readdir(filesDir)) {
      bytes += (await fs.stat(path.join(filesDir, f))).size;
      files.push(`roles/envkit/files/${f}`);
    }
    if (state === 'new') await fs.rename(tmp, dir);
    else {
      // An empty folder or an earlier export: moved aside, the new one renamed in, the old one removed.
      const old = `${tmp}-old`;
      await fs.rename(dir, old);
      await fs.rename(tmp, dir);
      await fs.rm(old, { recursive: true, force: true });
    }
    return { dir, files, bytes, role };
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    if (e instanceof EnvkitError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new EnvkitError(
      `could not write the export ${shown}: ${err.message}; nothing written there`,
      ExitCode.failed,
      'check the path and the free space, then export again',
    );
  }
}
