import path from 'node:path';
import {
  base,
  expand,
  homeInText,
  fetchDir,
  isRooted,
  movedNote,
  resolveDir,
  type Outcome,
  type ShellState,
} from './shell-state.js';
import type { NoteCommand } from './notes.js';
import type { StepOf } from './steps.js';

const ARCHIVE = /\.(tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2|tar|zip)$/;

/** `wget [-O FILE] URL`, `curl -L -o FILE URL` / `curl -O URL` → download (its sha256 a var the draft marks TODO). */
export function download(cmd: string, args: string[], c: NoteCommand, st: ShellState): Outcome {
  let out: string | undefined;
  let remoteName = false;
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if ((cmd === 'wget' && a === '-O') || (cmd === 'curl' && a === '-o') || a === '--output') out = args[++i];
    else if (cmd === 'curl' && a === '-O') remoteName = true;
    else if (cmd === 'curl' && /^-[a-zA-Z]*O[a-zA-Z]*$/.test(a)) remoteName = true;
    else if (/^https?:\/\//.test(a)) urls.push(a);
    else if (!a.startsWith('-')) return { run: true };
  }
  const url = urls[0];
  if (urls.length !== 1 || !url || (cmd === 'curl' && !out && !remoteName) || out === '-') return { run: true };
  const name = out ?? decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  if (!name) return { run: true };
  const place = fetchDir(st, name.replace(ARCHIVE, ''));
  const dest = isRooted(name) ? name : `${place.dir}/${name}`;
  const step: StepOf<'download'> = { kind: 'download', url, dest, ...base([c.line], c) };
  if (!isRooted(name) && place.moved) step.notes.push(movedNote(place.moved));
  st.downloads.set(path.posix.basename(name), step);
  return { step };
}

/** `tar xf FILE` of a file an earlier line downloaded → that download unpacks it (strip 1, beside the file). */
export function untar(args: string[], c: NoteCommand, st: ShellState): Outcome {
  const [flags = '', ...rest] = args;
  if (!/^-?[a-zA-Z]*x[a-zA-Z]*f$/.test(flags) || rest.length !== 1) return { run: true };
  const file = rest[0] ?? '';
  const step = st.downloads.get(path.posix.basename(file));
  const stem = path.posix.basename(file).replace(ARCHIVE, '');
  if (!step?.dest || !ARCHIVE.test(file) || stem === path.posix.basename(file)) return { run: true };
  const folder = `${path.posix.dirname(step.dest)}/${stem}`;
  delete step.dest;
  step.extract = folder;
  step.strip = 1;
  step.lines.push(c.line);
  step.notes.push(`the notes untar it beside the file (line ${c.line}); strip: 1 assumes one top folder, ${stem}/`);
  st.named.set(stem, folder);
  st.trees.push(folder);
  return { folded: true };
}

/** `make [-jN] [-C DIR] [NAME=value…] [targets…]` in a folder the notes name → make. */
export function make(args: string[], c: NoteCommand, st: ShellState): Outcome {
  if (args.some((a) => /[$`]/.test(a) && !/^[A-Za-z_]\w*=/.test(a))) return { run: true };
  let dir = st.cwd;
  const targets: string[] = [];
  const vars: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-C') dir = resolveDir(args[++i] ?? '', st);
    else if (a === '-j') {
      if (/^\d+$/.test(args[i + 1] ?? '')) i++;
    } else if (/^-j\d*$/.test(a)) continue;
    else if (/^[A-Za-z_]\w*=/.test(a)) {
      const eq = a.indexOf('=');
      const value = expand(a.slice(eq + 1), st);
      if (value === undefined) return { run: true };
      vars[a.slice(0, eq)] = homeInText(value);
    } else if (a.startsWith('-')) return { run: true };
    else targets.push(a);
  }
  if (!dir || !isRooted(dir)) return { run: true };
  if (st.cmakeBuilds.has(dir)) return cmakeMake(dir, targets, vars, c);
  return { step: { kind: 'make', dir, targets, vars, ...base([c.line], c) } };
}

/**
 * `make [install]` in a folder a cmake step configured → the cmake kind's build (and install): it builds with
 * the host's CPUs and installs into setup's prefix, so `-j` and `PREFIX=` (which a CMake Makefile ignores) go.
 */
function cmakeMake(build: string, targets: string[], vars: Record<string, string>, c: NoteCommand): Outcome {
  const install = targets.at(-1) === 'install';
  const rest = install ? targets.slice(0, -1) : targets;
  if (rest.length > 1 || (install && rest.length)) return { run: true };
  const step: StepOf<'cmake'> = { kind: 'cmake', build, defines: {}, install, ...base([c.line], c) };
  if (rest[0]) step.target = rest[0];
  const dropped = Object.keys(vars);
  if (dropped.length)
    step.notes.push(
      `the notes' ${dropped.map((v) => `${v}=`).join(' ')} (line ${c.line}) means nothing to a CMake build: the cmake kind installs into setup's prefix`,
    );
  if (vars.PREFIX) step.prefixes = [vars.PREFIX];
  return { step };
}

/** `cmake [-S SRC] -B BUILD -DK=V … [SRC]` / `cmake ..` → configure; `cmake --build|--install DIR` → build/install. */
export function cmake(args: string[], c: NoteCommand, st: ShellState): Outcome {
  if (args.some((a) => /[$`]/.test(a) && !a.startsWith('-D'))) return { run: true };
  const at = (p: string): string | undefined => resolveDir(p, st);
  if (args[0] === '--build' || args[0] === '--install') {
    const build = at(args[1] ?? '');
    if (!build || !isRooted(build)) return { run: true };
    const step: StepOf<'cmake'> = {
      kind: 'cmake',
      build,
      defines: {},
      install: args[0] === '--install',
      ...base([c.line], c),
    };
    for (let i = 2; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a === '--target' || a === '-t') step.target = args[++i];
      else if (a === '-j' || a === '--parallel') {
        if (/^\d+$/.test(args[i + 1] ?? '')) i++;
      } else if (!/^-j\d+$/.test(a)) return { run: true };
    }
    return { step };
  }
  let source: string | undefined;
  let build: string | undefined;
  const defines: Record<string, string> = {};
  let generator: string | undefined;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-S') source = at(args[++i] ?? '');
    else if (a === '-B') build = at(args[++i] ?? '');
    else if (a.startsWith('-B') && a.length > 2) build = at(a.slice(2));
    else if (a === '-G') generator = args[++i];
    else if (a === '-D' || (a.startsWith('-D') && a.length > 2)) {
      const d = a === '-D' ? (args[++i] ?? '') : a.slice(2);
      const eq = d.indexOf('=');
      const value = eq > 0 ? expand(d.slice(eq + 1), st) : undefined;
      if (value === undefined) return { run: true };
      defines[d.slice(0, eq)] = homeInText(value);
    } else if (a.startsWith('-')) return { run: true };
    else pos.push(a);
  }
  if (pos.length > 1) return { run: true };
  if (pos[0] !== undefined) {
    if (build) source = at(pos[0]);
    else {
      source = at(pos[0]);
      build = st.cwd; // `cmake ..` in the build folder
    }
  }
  // `cmake -B build -D…` with no source names the folder it runs in (CMake 3.13+), as faiss's INSTALL.md does.
  if (!source && build && !pos.length) source = st.cwd;
  if (!source || !build || !isRooted(source) || !isRooted(build)) return { run: true };
  const step: StepOf<'cmake'> = { kind: 'cmake', source, build, defines, install: false, ...base([c.line], c) };
  if (generator) step.generator = generator;
  st.cmakeBuilds.add(build);
  return { step };
}

/** `cat > FILE <<EOF`, `cat <<'EOF' > FILE`, `tee FILE <<EOF [>/dev/null]`: the file, the heredoc marker after `<<`. */
const HEREDOC_INTO = [
  /^cat\s*>\s*(\S+)\s*<<(-?)\s*(['"]?)(\w+)\3$/,
  /^cat\s*<<(-?)\s*(['"]?)(\w+)\2\s*>\s*(\S+)$/,
  /^tee\s+(\S+)\s*<<(-?)\s*(['"]?)(\w+)\3(?:\s*>\s*\/dev\/null)?$/,
];

/**
 * A heredoc that writes a whole file (`cat > ~/.config/x.toml <<EOF … EOF`) → a file step: checked and written
 * once, not a run step every time. Undefined when the shell would change the text (`$`, backquote or `\` in an
 * unquoted heredoc), the file is appended to, written through sudo, or in a folder the notes do not name.
 */
export function heredocFile(text: string, c: NoteCommand, st: ShellState): StepOf<'file'> | undefined {
  const [first = '', ...body] = text.split('\n');
  let m: { file: string; dash: string; quote: string; end: string } | undefined;
  const [a, b, t] = HEREDOC_INTO.map((re) => re.exec(first.trim()));
  if (a) m = { file: a[1]!, dash: a[2]!, quote: a[3]!, end: a[4]! };
  else if (b) m = { file: b[4]!, dash: b[1]!, quote: b[2]!, end: b[3]! };
  else if (t) m = { file: t[1]!, dash: t[2]!, quote: t[3]!, end: t[4]! };
  if (!m || body.at(-1) !== m.end) return undefined;
  const lines = body.slice(0, -1).map((l) => (m.dash ? l.replace(/^\t+/, '') : l));
  if (!m.quote && lines.some((l) => /[$`\\]/.test(l))) return undefined;
  const file = resolveDir(m.file, st);
  if (!file || !isRooted(file)) return undefined;
  const from = Array.from({ length: c.endLine - c.line + 1 }, (_, i) => c.line + i);
  return { kind: 'file', path: file, content: lines.length ? `${lines.join('\n')}\n` : '', ...base(from, c) };
}
