import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * An offline stand-in for github.com: bare repos at `<root>/mirror/github.com/<org>/<name>.git`, built
 * with one `git fast-import` each (no working trees, no `git submodule add`), including a superproject
 * shaped like PyTorch's: 40 submodules at nested paths (third_party/nccl/nccl), one `git@github.com:` URL,
 * and submodules that have submodules of their own, three levels deep.
 */

/** Git for building fixtures: no system or user config, whatever HOME the test process has. */
export function fixtureGitEnv(root: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: path.join(root, 'fixture-home'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
  };
}

/** Runs git for a fixture; its stdout, trimmed unless `raw`. */
export async function git(root: string, args: string[], input?: string, raw = false): Promise<string> {
  const p = run('git', args, { env: fixtureGitEnv(root), maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) p.child.stdin!.end(input);
  const out = (await p).stdout;
  return raw ? out : out.trim();
}

const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;
let clock = 1_700_000_000;
const committer = (): string => `committer Fixture <fixture@example.com> ${clock++} +0000\n`;

/** A submodule entry: where it goes, and the URL .gitmodules gives for it. */
export interface SubmoduleSpec {
  path: string;
  url: string;
  /** The commit the superproject records. */
  commit: string;
}

/** A mirror repo with its commits: `recorded` is what superprojects pin, `tip` (later) is main's head. */
export interface MirrorRepo {
  url: string;
  bare: string;
  recorded: string;
  tip: string;
}

function gitmodules(subs: readonly SubmoduleSpec[]): string {
  return subs
    .map(
      (s) =>
        `[submodule "${s.path}"]\n\tpath = ${s.path}\n\turl = ${s.url}\n${s.path.includes('nccl') ? '\tignore = dirty\n' : ''}`,
    )
    .join('');
}

/** One commit of a fast-import stream on `branch`: files, gitlinks, and the previous mark. */
function commit(
  mark: number,
  branch: string,
  message: string,
  files: Record<string, string>,
  subs: readonly SubmoduleSpec[],
  from?: number,
): string {
  let s = `commit refs/heads/${branch}\nmark :${mark}\n${committer()}${data(message)}${from ? `from :${from}\n` : ''}`;
  for (const [p, text] of Object.entries(files)) s += `M 644 inline ${p}\n${data(text)}`;
  if (subs.length) s += `M 644 inline .gitmodules\n${data(gitmodules(subs))}`;
  for (const sub of subs) s += `M 160000 ${sub.commit} ${sub.path}\n`;
  return s + '\n';
}

/** Runs a fast-import stream into a new bare repo; returns the commit of each mark. */
async function importRepo(root: string, bare: string, stream: string): Promise<Map<number, string>> {
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const marks = path.join(bare, 'fixture-marks');
  await git(root, ['-C', bare, 'fast-import', '--quiet', `--export-marks=${marks}`], stream);
  const out = new Map<number, string>();
  for (const line of fs.readFileSync(marks, 'utf8').split('\n')) {
    const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  fs.rmSync(marks);
  return out;
}

/** A repo `org/name` with two commits on main (the first is the one superprojects record), with submodules. */
export async function mirrorRepo(root: string, slug: string, subs: readonly SubmoduleSpec[] = []): Promise<MirrorRepo> {
  const bare = path.join(root, 'mirror', 'github.com', `${slug}.git`);
  const stream =
    commit(
      1,
      'main',
      `${slug} 1`,
      { 'README.md': `${slug}\n`, 'CMakeLists.txt': `project(${path.basename(slug)})\n` },
      subs,
    ) + commit(2, 'main', `${slug} 2`, { 'README.md': `${slug}, later\n` }, [], 1);
  const marks = await importRepo(root, bare, stream);
  return { url: `https://github.com/${slug}.git`, bare, recorded: marks.get(1)!, tip: marks.get(2)! };
}

/** PyTorch's submodules (paths and upstreams as in its .gitmodules); fmt is the one written `git@github.com:`. */
export const TORCH_SUBMODULES: readonly [string, string][] = [
  ['android/libs/fbjni', 'facebookincubator/fbjni'],
  ['third_party/pybind11', 'pybind/pybind11'],
  ['third_party/googletest', 'google/googletest'],
  ['third_party/benchmark', 'google/benchmark'],
  ['third_party/protobuf', 'protocolbuffers/protobuf'],
  ['third_party/ios-cmake', 'Yangqing/ios-cmake'],
  ['third_party/NNPACK', 'Maratyszcza/NNPACK'],
  ['third_party/gloo', 'facebookincubator/gloo'],
  ['third_party/NNPACK_deps/pthreadpool', 'Maratyszcza/pthreadpool'],
  ['third_party/NNPACK_deps/FXdiv', 'Maratyszcza/FXdiv'],
  ['third_party/NNPACK_deps/FP16', 'Maratyszcza/FP16'],
  ['third_party/NNPACK_deps/psimd', 'Maratyszcza/psimd'],
  ['third_party/zstd', 'facebook/zstd'],
  ['third_party/cpuinfo', 'pytorch/cpuinfo'],
  ['third_party/python-peachpy', 'malfet/PeachPy'],
  ['third_party/onnx', 'onnx/onnx'],
  ['third_party/onnx-tensorrt', 'onnx/onnx-tensorrt'],
  ['third_party/sleef', 'shibatch/sleef'],
  ['third_party/ideep', 'intel/ideep'],
  ['third_party/nccl/nccl', 'NVIDIA/nccl'],
  ['third_party/gemmlowp/gemmlowp', 'google/gemmlowp'],
  ['third_party/QNNPACK', 'pytorch/QNNPACK'],
  ['third_party/neon2sse', 'intel/ARM_NEON_2_x86_SSE'],
  ['third_party/fbgemm', 'pytorch/fbgemm'],
  ['third_party/foxi', 'houseroad/foxi'],
  ['third_party/tbb', '01org/tbb'],
  ['third_party/XNNPACK', 'google/XNNPACK'],
  ['third_party/fmt', 'fmtlib/fmt'],
  ['third_party/tensorpipe', 'pytorch/tensorpipe'],
  ['third_party/cudnn_frontend', 'NVIDIA/cudnn-frontend'],
  ['third_party/kineto', 'pytorch/kineto'],
  ['third_party/pocketfft', 'mreineck/pocketfft'],
  ['third_party/ittapi', 'intel/ittapi'],
  ['third_party/flatbuffers', 'google/flatbuffers'],
  ['third_party/nlohmann', 'nlohmann/json'],
  ['third_party/VulkanMemoryAllocator', 'GPUOpen-LibrariesAndSDKs/VulkanMemoryAllocator'],
  ['third_party/cutlass', 'NVIDIA/cutlass'],
  ['third_party/mimalloc', 'microsoft/mimalloc'],
  ['third_party/opentelemetry-cpp', 'open-telemetry/opentelemetry-cpp'],
  ['third_party/cpp-httplib', 'yhirose/cpp-httplib'],
];

/** Submodules of submodules, as upstream has them (onnx-tensorrt → onnx → pybind11 is three levels). */
const NESTED: Record<string, [string, string][]> = {
  'onnx/onnx': [['third_party/pybind11', 'pybind/pybind11']],
  'intel/ideep': [['mkl-dnn', 'oneapi-src/oneDNN']],
  'pytorch/fbgemm': [['third_party/asmjit', 'asmjit/asmjit']],
  'onnx/onnx-tensorrt': [['third_party/onnx', 'onnx/onnx']],
};

export interface TorchMirror {
  /** `<root>/mirror/github.com/` as a file:// URL prefix. */
  mirrorUrl: string;
  repos: Map<string, MirrorRepo>;
  /** The superproject's submodules as recorded at v2.1.0. */
  submodules: SubmoduleSpec[];
  /** Every submodule path, nested ones included (what `git submodule status --recursive` lists). */
  allPaths: string[];
  /** v2.1.0 (annotated tag; also branch release/2.1) and main (one commit later: nccl moved to its tip). */
  v210: string;
  main: string;
}

/** Builds the mirror: leaves first, then repos with submodules, then pytorch itself. */
export async function buildTorchMirror(root: string): Promise<TorchMirror> {
  const repos = new Map<string, MirrorRepo>();
  const urlOf = (slug: string, sshForm = false): string =>
    sshForm ? `git@github.com:${slug}.git` : `https://github.com/${slug}.git`;
  const subsOf = (slug: string): SubmoduleSpec[] =>
    (NESTED[slug] ?? []).map(([p, s]) => ({ path: p, url: urlOf(s), commit: repos.get(s)!.recorded }));
  const slugs = [
    ...new Set([...TORCH_SUBMODULES.map(([, s]) => s), ...Object.values(NESTED).flatMap((l) => l.map(([, s]) => s))]),
  ];
  const leaves = slugs.filter((s) => !NESTED[s]);
  await Promise.all(leaves.map(async (s) => repos.set(s, await mirrorRepo(root, s))));
  // Parents after their children: onnx before onnx-tensorrt.
  for (const s of ['onnx/onnx', 'intel/ideep', 'pytorch/fbgemm', 'onnx/onnx-tensorrt'])
    repos.set(s, await mirrorRepo(root, s, subsOf(s)));

  const submodules = TORCH_SUBMODULES.map(([p, s]) => ({
    path: p,
    url: urlOf(s, s === 'fmtlib/fmt'),
    commit: repos.get(s)!.recorded,
  }));
  const moved = submodules.map((s) =>
    s.path === 'third_party/nccl/nccl' ? { ...s, commit: repos.get('NVIDIA/nccl')!.tip } : s,
  );
  const stream =
    commit(1, 'main', 'PyTorch 2.1.0', { 'README.md': 'PyTorch 2.1.0\n', 'version.txt': '2.1.0\n' }, submodules) +
    commit(2, 'main', 'Update nccl', { 'README.md': 'PyTorch main\n' }, moved, 1) +
    `tag v2.1.0\nfrom :1\ntagger Fixture <fixture@example.com> ${clock++} +0000\n${data('PyTorch 2.1.0')}` +
    `reset refs/heads/release/2.1\nfrom :1\n\n`;
  const bare = path.join(root, 'mirror', 'github.com', 'pytorch', 'pytorch.git');
  const marks = await importRepo(root, bare, stream);
  repos.set('pytorch/pytorch', { url: urlOf('pytorch/pytorch'), bare, recorded: marks.get(1)!, tip: marks.get(2)! });

  const allPaths: string[] = [];
  const walk = (prefix: string, slug: string): void => {
    for (const [p, s] of NESTED[slug] ?? []) {
      allPaths.push(`${prefix}/${p}`);
      walk(`${prefix}/${p}`, s);
    }
  };
  for (const [p, s] of TORCH_SUBMODULES) {
    allPaths.push(p);
    walk(p, s);
  }
  return {
    mirrorUrl: `file://${path.join(root, 'mirror', 'github.com')}/`,
    repos,
    submodules,
    allPaths: allPaths.sort(),
    v210: marks.get(1)!,
    main: marks.get(2)!,
  };
}
