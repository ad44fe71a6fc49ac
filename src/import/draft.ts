import { Document, isMap, isSeq } from 'yaml';
import { normalName } from './merge.js';
import type { DraftStep } from './steps.js';

/** What the draft says about where it came from. */
export interface DraftOptions {
  /** The recipe's name (and file name). */
  name: string;
  /** The notes file as the user named it (`-` for stdin), for the header and description. */
  source: string;
  /** The heading its steps came from (`--split`), said in the description. */
  section?: string | undefined;
  /** Recipes this one requires. */
  requires?: string[];
  /** The notes' `tool --version` lines, for `verify:`. */
  verify?: readonly { command: string; line: number }[];
}

/** A var name from a distribution or repository name: letters, digits and _ (the loader's VAR_NAME). */
const varName = (n: string): string => {
  const v = normalName(n).replace(/[^a-z0-9]+/g, '_');
  return /^[a-z_]/.test(v) ? v : `v_${v}`;
};

/** Lines as the comments write them: `line 7`, `lines 7-9, 12`. */
export function lineRange(lines: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === (lines[j] ?? 0) + 1) j++;
    parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return `${lines.length === 1 ? 'line' : 'lines'} ${parts.join(', ')}`;
}

/** Vars: one per pinned version (and per clone's ref), their names unique. */
class Vars {
  readonly values: Record<string, string> = {};
  add(want: string, value: string): string {
    let name = want;
    for (let i = 2; Object.hasOwn(this.values, name) && this.values[name] !== value; i++) name = `${want}_${i}`;
    this.values[name] = value;
    return name;
  }
}

/** Package names that carry a version of a compiler or interpreter. */
const VERSIONED = /^(python3\.\d+|(gcc|g\+\+|cpp|gfortran|clang|llvm|lld|openjdk)-\d+)(-|$)/;

const clip = (s: string, n = 60): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The step as the recipe's map (without `name`), and what the comment above it adds. */
function body(s: DraftStep, vars: Vars): { spec: Record<string, unknown>; name: string; notes: string[] } {
  const notes: string[] = [];
  switch (s.kind) {
    case 'packages': {
      // A name with a version in it (python3.9, gcc-9) is in some releases only: Debian 12 has neither.
      const versioned = s.packages.filter((p): p is string => typeof p === 'string' && VERSIONED.test(p));
      if (versioned.length)
        notes.push(
          `TODO: ${versioned.join(', ')} name${versioned.length === 1 ? 's' : ''} one version, which a release has or not: the plain name (python3, gcc), or a map per release ({ "ubuntu:20.04": gcc-9, debian: gcc })`,
        );
      return { name: 'System packages', spec: { packages: s.packages }, notes };
    }
    case 'pip': {
      const packages = s.requirements.map((r) =>
        r.op === '==' && !r.version.includes(',')
          ? `${r.name}${r.extras}=={{ ${vars.add(varName(r.name), r.version)} }}`
          : `${r.name}${r.extras}${r.op}${r.version}`,
      );
      if (!s.venv)
        notes.push(
          'TODO: the notes install into the system python, which pip refuses on Debian 12 and Ubuntu 23.04+ (PEP 668): add venv: (a venv step makes one)',
        );
      const mirrors = Object.entries(s.mirrors).map(([m, lines]) => `${m} (${lineRange(lines)})`);
      if (mirrors.length)
        notes.push(
          `pip -i in the notes is a bundled mirror profile: ${mirrors.join(', ')}; pick one with --mirror NAME`,
        );
      const opts = {
        ...(s.venv ? { venv: s.venv } : {}),
        ...(s.python ? { python: s.python } : {}),
        ...(s.indexUrl ? { 'index-url': s.indexUrl } : {}),
        ...(s.upgrade ? { upgrade: true } : {}),
        ...(s.args.length ? { args: s.args } : {}),
      };
      const name = `Python packages${s.venv ? ` in ${s.venv}` : ''}`;
      return { name, spec: { pip: Object.keys(opts).length ? { packages, ...opts } : packages }, notes };
    }
    case 'venv':
      return {
        name: `venv ${s.path}`,
        spec: {
          venv: {
            path: s.path,
            ...(s.python ? { python: s.python } : {}),
            ...(s.systemSitePackages ? { 'system-site-packages': true } : {}),
          },
        },
        notes,
      };
    case 'git': {
      const repoName =
        s.repo
          .replace(/\/+$/, '')
          .split('/')
          .pop()
          ?.replace(/\.git$/, '') ?? 'repo';
      if (!s.ref) notes.push('TODO: the notes clone the default branch: pin a tag or commit in vars');
      const ref = vars.add(`${varName(repoName)}_ref`, s.ref ?? 'main');
      return {
        name: `Clone ${repoName}`,
        spec: {
          git: {
            repo: s.repo,
            ref: `{{ ${ref} }}`,
            ...(s.dest ? { dest: s.dest } : {}),
            ...(s.submodules ? { submodules: true } : {}),
            ...(s.depth ? { depth: s.depth } : {}),
          },
        },
        notes,
      };
    }
    case 'env':
      return {
        name: 'Environment variables',
        spec: {
          env: {
            ...(Object.keys(s.set).length ? { set: s.set } : {}),
            ...(s.path.length ? { path: s.path } : {}),
            ...(Object.keys(s.prepend).length ? { prepend: s.prepend } : {}),
          },
        },
        notes,
      };
    case 'config':
      return { name: `Settings in ${s.path}`, spec: { config: { path: s.path, set: s.set } }, notes };
    case 'download': {
      const file =
        s.url
          .replace(/[?#].*$/, '')
          .split('/')
          .pop() ?? 'download';
      const sha = vars.add(`${varName(file.replace(/\.(tar\.\w+|tgz|zip|sh|tar)$/, ''))}_sha256`, 'TODO');
      notes.push(`TODO: required: the file's sha256 (sha256sum ${file}) in vars, or checksum-url`);
      const where = {
        ...(s.dest ? { dest: s.dest } : {}),
        ...(s.extract ? { extract: s.extract, ...(s.strip ? { strip: s.strip } : {}) } : {}),
      };
      return { name: `Download ${file}`, spec: { download: { url: s.url, sha256: `{{ ${sha} }}`, ...where } }, notes };
    }
    case 'make':
      notes.push('TODO: add creates: (what the build makes), or the step runs every time');
      return {
        name: `make ${s.targets.join(' ') || 'in ' + s.dir}`,
        spec: {
          make: {
            dir: s.dir,
            ...(s.targets.length ? { targets: s.targets } : {}),
            ...(Object.keys(s.vars).length ? { vars: s.vars } : {}),
          },
        },
        notes,
      };
    case 'cmake': {
      if (!s.source) notes.push('TODO: add creates: (what the build makes), or the step runs every time');
      const what = s.source ? 'Configure' : s.install ? 'Build and install' : 'Build';
      return {
        name: `${what} ${s.build}`,
        spec: {
          cmake: {
            ...(s.source ? { source: s.source } : {}),
            build: s.build,
            ...(Object.keys(s.defines).length ? { defines: s.defines } : {}),
            ...(s.generator ? { generator: s.generator } : {}),
            ...(s.target ? { target: s.target } : {}),
            ...(s.install ? { install: true } : {}),
          },
        },
        notes,
      };
    }
    case 'file':
      return { name: `Write ${s.path}`, spec: { file: { path: s.path, content: s.content } }, notes };
    case 'run': {
      notes.push('TODO: add check: or creates: (what shows this is done), or the step runs every time');
      const first = s.script.find((l) => !/^(cd\s|[A-Za-z_]\w*=)/.test(l)) ?? s.script[0] ?? 'run';
      return {
        name: clip(first.split('\n')[0] ?? first),
        spec: { run: s.script.join('\n'), ...(s.cwd ? { cwd: s.cwd } : {}), ...(s.root ? { root: true } : {}) },
        notes,
      };
    }
  }
}

/**
 * The recipe YAML for drafted steps (merged already): a header that says where it came from, `vars:` for every
 * pinned version and clone ref, and above each step a comment with the notes' lines it came from and what to
 * review (TODOs). Step names are unique.
 */
export function renderDraft(steps: readonly DraftStep[], opts: DraftOptions, header: string[] = []): string {
  const vars = new Vars();
  const names = new Map<string, number>();
  const rendered = steps.map((s) => {
    const b = body(s, vars);
    const n = (names.get(b.name) ?? 0) + 1;
    names.set(b.name, n);
    const name = n > 1 ? `${b.name} (${n})` : b.name;
    const where = `${lineRange(s.lines)}${s.section ? ` (${s.section})` : ''}`;
    return { item: { name, ...b.spec }, comment: [where, ...s.notes, ...b.notes] };
  });
  const recipe = {
    name: opts.name,
    description: `Drafted by setup import from ${opts.source === '-' ? 'stdin' : opts.source}${opts.section ? `, section "${opts.section}"` : ''}`,
    ...(opts.requires?.length ? { requires: opts.requires } : {}),
    ...(Object.keys(vars.values).length ? { vars: vars.values } : {}),
    steps: rendered.map((r) => r.item),
  };
  const checks = [...new Map((opts.verify ?? []).map((v) => [v.command, v])).values()];
  if (checks.length) Object.assign(recipe, { verify: checks.map((v) => ({ command: v.command })) });
  const doc = new Document(recipe);
  doc.commentBefore = [
    ` Drafted by setup import from ${opts.source === '-' ? 'stdin' : opts.source}: review it before you run it.`,
    ' Each step says the lines of the notes it came from; TODO marks what the notes do not say.',
    ...header.map((h) => ` ${h}`),
  ].join('\n');
  const seq = doc.get('steps', true);
  if (isSeq(seq))
    seq.items.forEach((node, i) => {
      if (isMap(node)) node.commentBefore = (rendered[i]?.comment ?? []).map((c) => ` ${c}`).join('\n');
    });
  const verify = doc.get('verify', true);
  if (isSeq(verify))
    verify.items.forEach((node, i) => {
      const v = checks[i];
      if (isMap(node) && v) node.commentBefore = ` line ${v.line}: the notes ran this to see it works`;
    });
  return doc.toString({ lineWidth: 0 });
}
