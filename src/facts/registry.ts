import fs from 'node:fs/promises';
import os from 'node:os';
import type { Runner } from '../util/process.js';
import { which } from '../util/which.js';
import * as p from './parsers.js';

/** A fact's value: what `when:` matches against and `{{ host.* }}` renders. null = not present on this host. */
export type FactValue = string | number | boolean | null;

/** What a fact needs to be gathered. */
export interface FactEnv {
  runner: Runner;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Read a fact this one derives from (memoized). */
  get(id: string): Promise<FactValue>;
}

/** A fact: an id, what it means, and how to gather it. Facts are gathered at most once per invocation. */
export interface FactDef {
  id: string;
  description: string;
  /** `version`: a dotted version, so `when:` may match it with a range like ">=3.8". */
  type: 'string' | 'number' | 'boolean' | 'version';
  gather(env: FactEnv): Promise<FactValue>;
}

const osRelease = memo(async (_f: FactEnv) => {
  for (const f of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return p.parseOsRelease(await fs.readFile(f, 'utf8'));
    } catch {
      /* try the next */
    }
  }
  return {} as Record<string, string>;
});

/** Runs `cmd args…` if `cmd` is on PATH and parses its output; null when it is absent or fails. */
function tool(cmd: string, args: string[], parse: (out: string) => string | null) {
  return async (f: FactEnv): Promise<FactValue> => {
    const exe = which(cmd, f.env.PATH);
    if (!exe) return null;
    const r = await f.runner.run({ argv: [exe, ...args], timeoutMs: 10_000 });
    if (r.exitCode !== 0) return null;
    return parse(r.stdout + '\n' + r.stderr);
  };
}

const nvidiaSmi = memo(async (f: FactEnv) => {
  const exe = which('nvidia-smi', f.env.PATH);
  if (!exe) return null;
  const [q, plain] = await Promise.all([
    f.runner.run({
      argv: [exe, '--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'],
      timeoutMs: 15_000,
    }),
    f.runner.run({ argv: [exe], timeoutMs: 15_000 }),
  ]);
  if (q.exitCode !== 0)
    return { gpus: [], cuda: null, error: (q.stderr || q.stdout).trim().split('\n')[0] ?? 'nvidia-smi failed' };
  return { gpus: p.parseNvidiaSmiQuery(q.stdout), cuda: p.parseNvidiaSmiCuda(plain.stdout), error: null };
});

/** Every fact, in the order `setup doctor` shows them. Adding a fact is adding an entry here. */
export const FACTS: readonly FactDef[] = [
  {
    id: 'os',
    type: 'string',
    description: 'operating system: linux, darwin',
    gather: async () =>
      (({ darwin: 'darwin', linux: 'linux' }) as Record<string, string>)[process.platform] ?? process.platform,
  },
  {
    id: 'distro',
    type: 'string',
    description: 'distribution id from os-release: debian, ubuntu, rhel, fedora, macos',
    gather: async (f) => (process.platform === 'darwin' ? 'macos' : ((await osRelease(f))['ID'] ?? null)),
  },
  {
    id: 'distro_like',
    type: 'string',
    description: 'os-release ID_LIKE: the families the distribution follows',
    gather: async (f) => (await osRelease(f))['ID_LIKE'] ?? null,
  },
  {
    id: 'distro_version',
    type: 'version',
    description: 'distribution version: 12, 22.04',
    gather: async (f) => (await osRelease(f))['VERSION_ID'] ?? null,
  },
  {
    id: 'distro_codename',
    type: 'string',
    description: 'distribution codename: bookworm, jammy',
    gather: async (f) => (await osRelease(f))['VERSION_CODENAME'] ?? null,
  },
  {
    id: 'arch',
    type: 'string',
    description: 'CPU architecture as uname -m says it: x86_64, aarch64',
    gather: async () => p.normalizeArch(os.arch()),
  },
  {
    id: 'cpus',
    type: 'number',
    description: 'CPUs available to this process',
    gather: async () => os.availableParallelism(),
  },
  {
    id: 'memory_gb',
    type: 'number',
    description: 'total memory, GiB',
    gather: async () => Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  },
  {
    id: 'disk_free_gb',
    type: 'number',
    description: 'free disk space in the home folder, GiB',
    gather: async (f) => {
      const s = await fs.statfs(f.home).catch(() => null);
      return s ? Math.round(((s.bavail * s.bsize) / 2 ** 30) * 10) / 10 : null;
    },
  },
  { id: 'user', type: 'string', description: 'the user running setup', gather: async () => os.userInfo().username },
  { id: 'root', type: 'boolean', description: 'running as root', gather: async () => process.getuid?.() === 0 },
  {
    id: 'sudo',
    type: 'boolean',
    description: 'root, or passwordless sudo available (sudo -n true)',
    gather: async (f) => {
      if ((await f.get('root')) === true) return true;
      const exe = which('sudo', f.env.PATH);
      if (!exe) return false;
      return (await f.runner.run({ argv: [exe, '-n', 'true'], timeoutMs: 5000 })).exitCode === 0;
    },
  },
  {
    id: 'pkg_manager',
    type: 'string',
    description: 'system package manager: apt, dnf, yum, brew',
    gather: async (f) =>
      ['apt-get', 'dnf', 'yum', 'brew']
        .map((c) => (which(c, f.env.PATH) ? c.replace('-get', '') : null))
        .find(Boolean) ?? null,
  },
  {
    id: 'python',
    type: 'version',
    description: 'python3 version',
    gather: tool('python3', ['--version'], p.parsePythonVersion),
  },
  {
    id: 'pip',
    type: 'version',
    description: "python3's pip version",
    gather: tool('python3', ['-m', 'pip', '--version'], p.parsePipVersion),
  },
  {
    id: 'gcc',
    type: 'version',
    description: 'gcc version',
    gather: tool('gcc', ['-dumpfullversion', '-dumpversion'], p.parseVersion),
  },
  {
    id: 'cmake',
    type: 'version',
    description: 'cmake version',
    gather: tool('cmake', ['--version'], p.parseCmakeVersion),
  },
  {
    id: 'ccache',
    type: 'version',
    description: 'ccache version: cmake and make steps compile through it when present',
    gather: tool('ccache', ['--version'], p.parseVersion),
  },
  { id: 'git', type: 'version', description: 'git version', gather: tool('git', ['--version'], p.parseGitVersion) },
  { id: 'node', type: 'version', description: 'node version', gather: tool('node', ['--version'], p.parseNodeVersion) },
  {
    id: 'gpu',
    type: 'boolean',
    description: 'an NVIDIA GPU answers nvidia-smi',
    gather: async (f) => ((await nvidiaSmi(f))?.gpus.length ?? 0) > 0,
  },
  {
    id: 'gpu_count',
    type: 'number',
    description: 'number of NVIDIA GPUs',
    gather: async (f) => (await nvidiaSmi(f))?.gpus.length ?? 0,
  },
  {
    id: 'gpu_name',
    type: 'string',
    description: 'name of the first GPU',
    gather: async (f) => (await nvidiaSmi(f))?.gpus[0]?.name ?? null,
  },
  {
    id: 'gpu_driver',
    type: 'version',
    description: 'NVIDIA driver version',
    gather: async (f) => (await nvidiaSmi(f))?.gpus[0]?.driver ?? null,
  },
  {
    id: 'gpu_error',
    type: 'string',
    description: 'why nvidia-smi is present but reports no GPU',
    gather: async (f) => (await nvidiaSmi(f))?.error ?? null,
  },
  {
    id: 'cuda',
    type: 'version',
    description: 'CUDA version: the toolkit (nvcc) if installed, else what the driver supports',
    gather: async (f) => (await f.get('nvcc')) ?? (await nvidiaSmi(f))?.cuda ?? null,
  },
  {
    id: 'nvcc',
    type: 'version',
    description: 'CUDA toolkit (nvcc) version',
    gather: tool('nvcc', ['--version'], p.parseNvccVersion),
  },
];

/** Facts by id. */
export const FACT_BY_ID: ReadonlyMap<string, FactDef> = new Map(FACTS.map((f) => [f.id, f]));

/** Memoizes a helper per FactEnv (one per FactStore, so per invocation), for outputs several facts share. */
function memo<T>(fn: (f: FactEnv) => Promise<T>): (f: FactEnv) => Promise<T> {
  const cache = new WeakMap<FactEnv, Promise<T>>();
  return (f) => {
    let v = cache.get(f);
    if (!v) cache.set(f, (v = fn(f)));
    return v;
  };
}
