import path from 'node:path';
import type { NoteCommand } from './notes.js';
import { profileFor, type MirrorHosts } from './mirrors.js';
import { splitCommands, type Simple } from './shell-words.js';
import type { Requirement, StepOf } from './steps.js';
import { cmake, download, make, untar } from './builds.js';
import {
  base,
  expand,
  homeInText,
  fetchDir,
  movedNote,
  resolveDir,
  type Outcome,
  type ShellState,
} from './shell-state.js';

const RC = /^~\/\.(bashrc|zshrc|profile|bash_profile)$|^\$HOME\/\.(bashrc|zshrc|profile|bash_profile)$/;
const SYSTEM_DIRS = new Set(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);
/** `name[extras]` and a version spec: one clause (`==1.2`) or several (`>=2,<3`: the op is the first one's). */
const REQUIREMENT =
  /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9_,.-]*\])?(?:(===|==|>=|<=|~=|!=|<|>)([A-Za-z0-9.*+!_-]+(?:,\s*(?:===|==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!_-]+)*))?$/;
const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9+.:_@-]*$/;
/** `apt|apt-get|yum|dnf install …` → packages (flags dropped: -y is implied, the kind knows about root). */
function packages(args: string[], manager: string, c: NoteCommand): Outcome {
  const dnf = manager === 'yum' || manager === 'dnf';
  // apt's `name=version`: the kind installs the candidate (`setup lock` pins what it installed), the pin is noted.
  const pins = dnf ? [] : args.filter((a) => !a.startsWith('-') && /^[^=]+=[^=]+$/.test(a));
  const names = args.filter((a) => !a.startsWith('-')).map((a) => (pins.includes(a) ? a.split('=')[0]! : a));
  if (!names.length || !names.every((n) => PACKAGE.test(n))) return { run: true };
  const step: StepOf<'packages'> = {
    kind: 'packages',
    packages: dnf ? names.map((n) => ({ dnf: n })) : names,
    ...base([c.line], c),
  };
  if (pins.length)
    step.notes.push(
      `TODO: the notes pin ${pins.join(' ')} (line ${c.line}): the packages kind installs the candidate; setup lock pins what was installed`,
    );
  if (dnf)
    step.notes.push(`TODO: ${manager} in the notes (line ${c.line}): add each package's apt name, or default: null`);
  return { step };
}

const VALUE_FLAGS = new Set(['-i', '--index-url', '--extra-index-url', '--trusted-host']);
const RUN_FLAGS =
  /^(-r|--requirement|-c|--constraint|-e|--editable|-f|--find-links|-t|--target|--prefix|--root|--src)(=|$)/;

/** `pip install [-i URL] [-U] reqs` → pip; `pip config set K V` → config; what pip only reports → a dead end. */
function pip(args: string[], python: string | undefined, c: NoteCommand, st: ShellState, hosts: MirrorHosts): Outcome {
  const [sub, ...rest] = args;
  if (sub === 'freeze' || sub === 'list' || sub === 'show' || sub === 'check')
    return { skip: `pip ${sub} only reports what is installed (setup lock records it)` };
  if (sub === 'config' && rest[0] === 'set' && rest.length === 3)
    return pipConfig(rest[1] ?? '', rest[2] ?? '', c, hosts);
  if (sub !== 'install') return { run: true };
  const reqs: Requirement[] = [];
  const extra: string[] = [];
  let index: string | undefined;
  let upgrade = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? '';
    if (RUN_FLAGS.test(a)) return { run: true };
    if (a === '-U' || a === '--upgrade') upgrade = true;
    else if (a === '-i' || a === '--index-url') index = rest[++i];
    else if (a.startsWith('--index-url=')) index = a.slice(12);
    else if (VALUE_FLAGS.has(a)) extra.push(a, rest[++i] ?? '');
    else if (a.startsWith('-')) extra.push(a);
    else {
      const m = REQUIREMENT.exec(a);
      if (!m) return { run: true };
      reqs.push({ name: m[1] ?? a, extras: m[2] ?? '', op: m[3] ?? '', version: m[4] ?? '' });
    }
  }
  if (!reqs.length) return { run: true };
  if (reqs.some((r) => r.name === 'pip3')) return { skip: 'pip3 is a command, not a package (pip is)' };
  const step: StepOf<'pip'> = {
    kind: 'pip',
    requirements: reqs,
    upgrade,
    mirrors: {},
    args: extra.filter((a, i) => !(a === '--trusted-host' || extra[i - 1] === '--trusted-host')),
    ...(st.venv ? { venv: st.venv } : {}),
    ...(python ? { python } : {}),
    ...base([c.line], c),
  };
  if (index) {
    const mirror = profileFor(hosts.pip, index);
    if (mirror) step.mirrors[mirror] = [c.line];
    else step.indexUrl = index;
  }
  return { step };
}

function pipConfig(key: string, value: string, c: NoteCommand, hosts: MirrorHosts): Outcome {
  const step: StepOf<'config'> = {
    kind: 'config',
    path: '~/.config/pip/pip.conf',
    set: { [key]: value },
    ...base([c.line], c),
  };
  const mirror = /index-url$/.test(key) ? profileFor(hosts.pip, value) : undefined;
  if (mirror)
    step.notes.push(
      `the bundled recipe pip-mirror writes this from a profile: setup run pip-mirror --mirror ${mirror}`,
    );
  return { step };
}

/** `conda config --add|--append channels URL`, `conda config --set KEY VALUE` → config on ~/.condarc. */
function conda(args: string[], c: NoteCommand, hosts: MirrorHosts): Outcome {
  const [sub, op, key, value] = args;
  if (sub === 'activate' || sub === 'deactivate') return { skip: `conda ${sub} changes only the shell it runs in` };
  if (sub === 'list' || sub === 'info') return { skip: `conda ${sub} only reports` };
  if (sub !== 'config' || args.length !== 4 || key === undefined || value === undefined) return { run: true };
  const step: StepOf<'config'> = { kind: 'config', path: '~/.condarc', set: {}, ...base([c.line], c) };
  if ((op === '--add' || op === '--prepend' || op === '--append') && key === 'channels') {
    step.set.channels = [value];
    const mirror = profileFor(hosts.conda, value);
    if (mirror)
      step.notes.push(
        `the bundled recipe conda-mirror writes ${mirror}'s channels: setup run conda-mirror --mirror ${mirror}`,
      );
  } else if (op === '--set') {
    step.set[key] = /^(yes|true)$/i.test(value) ? true : /^(no|false)$/i.test(value) ? false : value;
  } else return { run: true };
  return { step };
}

/** `git clone [--recursive] [--depth N] [-b REF] URL [DIR]` → git; later lines in the clone refine it. */
function git(args: string[], c: NoteCommand, st: ShellState): Outcome {
  const [sub, ...rest] = args;
  const here = sub === 'clone' ? undefined : st.clones.find((g) => g.dest !== undefined && g.dest === st.cwd);
  if (sub === 'checkout' && here && rest.length === 1 && !rest[0]?.startsWith('-')) {
    here.ref = rest[0];
    here.lines.push(c.line);
    return { folded: true };
  }
  if (sub === 'submodule' && here && (rest[0] === 'update' || rest[0] === 'sync' || rest[0] === 'init')) {
    here.submodules = true;
    here.lines.push(c.line);
    return { folded: true };
  }
  if (sub !== 'clone') return { run: true };
  const pos: string[] = [];
  const step: StepOf<'git'> = { kind: 'git', repo: '', submodules: false, ...base([c.line], c) };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? '';
    if (a === '--recursive' || a === '--recurse-submodules') step.submodules = true;
    else if (a === '--depth') step.depth = Number(rest[++i]);
    else if (a.startsWith('--depth=')) step.depth = Number(a.slice(8));
    else if (a === '-b' || a === '--branch') step.ref = rest[++i];
    else if (a.startsWith('--branch=')) step.ref = a.slice(9);
    // What only shapes the transfer or its output: the kind fetches what the ref needs.
    else if (/^(--(no-)?single-branch|-q|--quiet|--progress|--shallow-submodules)$/.test(a)) continue;
    else if (a.startsWith('-')) return { run: true };
    else pos.push(a);
  }
  const [repo, dir] = pos;
  if (!repo || pos.length > 2 || (step.depth !== undefined && !(step.depth >= 1))) return { run: true };
  step.repo = repo;
  const name = (dir ?? repo.replace(/\/+$/, '').split('/').pop() ?? '').replace(/\.git$/, '');
  const place = fetchDir(st, name);
  const dest = dir ? resolveDir(dir, st) : `${place.dir}/${name}`;
  step.dest = dest ?? `{{ dirs.src }}/${name}`;
  if (!dest && dir) step.notes.push(`the notes clone into ./${dir}, relative to a folder they do not name`);
  if (!dir && place.moved) step.notes.push(movedNote(place.moved));
  st.clones.push(step);
  st.trees.push(step.dest);
  st.named.set(name, step.dest);
  return { step };
}

/** `python -m venv DIR` / `virtualenv DIR` → venv (a folder the notes leave relative goes under ~/venvs). */
function venv(args: string[], python: string | undefined, c: NoteCommand, st: ShellState): Outcome {
  const flags = args.filter((a) => a.startsWith('-'));
  const dirs = args.filter((a) => !a.startsWith('-'));
  if (dirs.length !== 1 || flags.some((f) => f !== '--system-site-packages')) return { run: true };
  const dir = dirs[0] ?? '';
  const where = resolveDir(dir, st);
  const step: StepOf<'venv'> = {
    kind: 'venv',
    path: where ?? `~/venvs/${path.posix.basename(dir)}`,
    systemSitePackages: flags.length > 0,
    ...(python ? { python } : {}),
    ...base([c.line], c),
  };
  if (!where) step.notes.push(`the notes make it in ./${dir}, relative to a folder they do not name`);
  st.venvs.add(step.path);
  st.named.set(dir, step.path);
  return { step };
}

/** `export A=B …` → env: PATH entries, other path lists that extend themselves, plain values. */
function exportVars(assignments: string[], c: NoteCommand, st: ShellState): Outcome {
  const step: StepOf<'env'> = { kind: 'env', set: {}, path: [], prepend: {}, ...base([c.line], c) };
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) return { skip: 'export without a value only marks a variable of this shell' };
    const name = a.slice(0, eq);
    if (['HOME', 'USER', 'SHELL', 'PWD'].includes(name)) return { skip: `${name} is the login's, not a recipe's` };
    const value = expand(a.slice(eq + 1), st, name);
    // In a run step an export ends with the step: it would do nothing.
    if (value === undefined)
      return {
        skip: `${name}'s value is the shell's ($(…), \`…\` or a variable the notes never set): write it as an env step by hand`,
      };
    const self = new RegExp(`^\\$\\{?${name}\\}?$`);
    const parts = value.split(':').filter((p) => p && !self.test(p));
    if (name === 'PATH') {
      const dirs = parts.filter((p) => !SYSTEM_DIRS.has(p));
      if (!dirs.length) return { skip: 'PATH holds only the system folders already' };
      step.path.push(...dirs.filter((d, i) => dirs.indexOf(d) === i));
      if (!value.split(':').some((p) => self.test(p)))
        step.notes.push(`line ${c.line} replaces PATH; the draft puts its own folders in front instead`);
    } else if (value.split(':').some((p) => self.test(p)) && parts.length) step.prepend[name] = parts;
    else {
      step.set[name] = homeInText(value);
      st.vars.set(name, value);
    }
  }
  return { step };
}

/** The user a `sudo …` line runs as: `-u NAME`, `-uNAME`, `--user[=]NAME`, else root. */
export function sudoUser(words: readonly string[]): string {
  for (let i = 1; i < words.length && words[i]?.startsWith('-'); i++) {
    const w = words[i] ?? '';
    if (w === '-u' || w === '--user') return words[i + 1] ?? 'root';
    if (w.startsWith('--user=')) return w.slice(7);
    if (/^-u./.test(w)) return w.slice(2);
  }
  return 'root';
}

/** One simple command (`sudo` dropped) → a step, a change of the shell's state, a dead end, or a run line. */
export function convertSimple(s: Simple, c: NoteCommand, st: ShellState, hosts: MirrorHosts): Outcome {
  let words = s.words.map((w) => w.value);
  if (words[0] === 'sudo') {
    // `sudo -u postgres psql` runs as postgres, not root: a kind would run it as the wrong user.
    if (sudoUser(words) !== 'root') return { run: true };
    words = words.slice(1);
    while (words[0]?.startsWith('-')) words = words.slice(words[0] === '-u' || words[0] === '--user' ? 2 : 1);
  }
  const [cmd = '', ...args] = words;
  const redirect = s.ops.some((o) => o.includes('>') || o === '|' || o === '<' || o === '||' || o === '&');
  if (cmd === 'echo' && s.ops.length === 1 && s.ops[0] === '>>' && RC.test(s.targets[0] ?? '')) {
    const inner = splitCommands(args.join(' '))[0];
    if (inner?.words[0]?.value === 'export')
      return exportVars(
        inner.words.slice(1).map((w) => w.value),
        c,
        st,
      );
    return { run: true };
  }
  const pipArgs = /^pip3?(\.\d+)?$/.test(cmd)
    ? args
    : /^python/.test(cmd) && args[0] === '-m' && args[1] === 'pip'
      ? args.slice(2)
      : [];
  if (pipArgs[0] === 'freeze' || pipArgs[0] === 'list')
    return { skip: `pip ${pipArgs[0]} only reports what is installed (setup lock records it)` };
  // export, make and cmake put the notes' variables into the values they take; a value still the shell's is theirs to refuse.
  const expands = cmd === 'export' || cmd === 'make' || cmd === 'cmake';
  if (redirect || s.words.some((w, i) => w.dynamic && !(expands && i > 0))) {
    if (cmd === 'cd' || /^[A-Za-z_]\w*=/.test(cmd)) return assign(words, s, st);
    return { run: true };
  }
  if (args.length === 1 && /^(--version|-V|version)$/.test(args[0] ?? '')) return { verify: words.join(' ') };
  if (cmd === 'which' || (cmd === 'command' && args[0] === '-v')) return { skip: 'only shows where a program is' };
  if (cmd === 'alias') return { skip: 'an alias lives only in an interactive shell' };
  if (cmd === 'deactivate' && st.venv) {
    st.venv = undefined;
    return { folded: true };
  }
  if (cmd === 'deactivate' || (cmd === 'pyenv' && /^(activate|deactivate|shell)$/.test(args[0] ?? '')))
    return { skip: 'changes only the shell it runs in' };
  if ((cmd === 'source' || cmd === '.') && args.length === 1) {
    const m = /^(.*)\/bin\/activate$/.exec(args[0] ?? '');
    const dir = m ? resolveDir(m[1] ?? '', st) : undefined;
    if (dir && st.venvs.has(dir)) {
      st.venv = dir;
      return { folded: true };
    }
    if (m) return { skip: 'activates a venv the notes do not create: pip steps after it install into python3' };
    return { skip: 'changes only the shell it runs in (an env step reaches new shells)' };
  }
  if (/^(apt|apt-get|aptitude|yum|dnf)$/.test(cmd)) {
    if (args[0] === 'update' || args[0] === 'makecache')
      return { skip: 'the packages kind refreshes the package lists when it needs to' };
    const i = args.indexOf('install');
    if (i >= 0 && args.slice(0, i).every((a) => a.startsWith('-'))) return packages(args.slice(i + 1), cmd, c);
    return { run: true };
  }
  const py = /^python(3(\.\d+)?)?$/.exec(cmd);
  const version = py?.[2] ? `3${py[2]}` : undefined;
  if (/^pip3?(\.\d+)?$/.test(cmd)) return pip(args, /^pip3\.\d+$/.test(cmd) ? cmd.slice(3) : undefined, c, st, hosts);
  if (py && args[0] === '-m' && args[1] === 'pip') return pip(args.slice(2), version, c, st, hosts);
  if (py && args[0] === '-m' && args[1] === 'venv') return venv(args.slice(2), version, c, st);
  if (cmd === 'virtualenv') return venv(args, undefined, c, st);
  if (cmd === 'conda') return conda(args, c, hosts);
  if (cmd === 'git') return git(args, c, st);
  if (cmd === 'export') return exportVars(args, c, st);
  if (cmd === 'wget' || cmd === 'curl') return download(cmd, args, c, st);
  if (cmd === 'tar') return untar(args, c, st);
  if (cmd === 'make') return make(args, c, st);
  if (cmd === 'cmake') return cmake(args, c, st);
  if (cmd === 'cd' || /^[A-Za-z_]\w*=/.test(cmd)) return assign(words, s, st);
  if (cmd === 'rm' && args.some((a) => /^-[a-zA-Z]*[rR]/.test(a)))
    for (const a of args.filter((x) => !x.startsWith('-'))) {
      const gone = resolveDir(a, st);
      if (gone) st.removed.add(gone);
    }
  return { run: true };
}

/** `cd DIR` and `NAME=value`: the shell's state, followed into later steps. */
function assign(words: string[], s: Simple, st: ShellState): Outcome {
  if (words[0] === 'cd') {
    const to = words[1];
    const dir = to === undefined ? '~' : to === '..' && st.cwd ? path.posix.dirname(st.cwd) : resolveDir(to, st);
    st.cwd = dir ?? (to && !to.startsWith('$') ? to : undefined);
    return { folded: true };
  }
  const eq = s.text.indexOf('=');
  const name = s.text.slice(0, eq);
  const raw = words[0]?.slice(eq + 1) ?? '';
  const value = s.words[0]?.dynamic ? (/^`pwd`$|^\$\(pwd\)$/.test(raw) ? st.cwd : expand(raw, st)) : raw;
  if (value === undefined && words.length === 1 && s.words[0]?.dynamic) {
    st.vars.delete(name);
    return {
      skip: `sets ${name} from the shell's own state, which a recipe does not have: lines using $${name} are yours to write`,
    };
  }
  if (value === undefined || words.length > 1) {
    st.vars.delete(name);
    return { run: true };
  }
  st.vars.set(name, value);
  return { folded: true };
}
