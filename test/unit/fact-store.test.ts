import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACTS } from '../../src/facts/registry.js';
import { FactStore } from '../../src/facts/store.js';
import type { RunRequest, RunResult, Runner } from '../../src/util/process.js';

const fixtures = path.resolve(import.meta.dirname, '..', 'fixtures', 'facts');
const fixture = (name: string): string => fs.readFileSync(path.join(fixtures, name), 'utf8');

/** What the fake runner answers for one program: a fixed result, or one chosen by the arguments. */
type Recording = Partial<RunResult> | ((args: readonly string[]) => Partial<RunResult>);

/** A recorded runner: answers by argv[0]'s basename, counts calls, and can hold answers back to prove sharing. */
class FakeRunner implements Runner {
  readonly calls: string[][] = [];
  constructor(
    private readonly recordings: Record<string, Recording>,
    private readonly delayMs = 0,
  ) {}
  callsOf(program: string): string[][] {
    return this.calls.filter((c) => path.basename(c[0]!) === program);
  }
  async run(req: RunRequest): Promise<RunResult> {
    this.calls.push([...req.argv]);
    const [exe, ...args] = req.argv;
    const rec = this.recordings[path.basename(exe!)];
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (!rec)
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        aborted: false,
        stdout: '',
        stderr: '',
        spawnError: `${exe}: command not found`,
        durationMs: 0,
      };
    const r = typeof rec === 'function' ? rec(args) : rec;
    return { exitCode: 0, signal: null, timedOut: false, aborted: false, stdout: '', stderr: '', durationMs: 1, ...r };
  }
}

const nvidiaSmi =
  (query: string, plain = fixture('nvidia-smi.plain'), exitCode = 0): Recording =>
  (args) =>
    args.some((a) => a.startsWith('--query-gpu')) ? { stdout: query, exitCode } : { stdout: plain, exitCode };

let tmp: string;
/** A PATH folder holding executable stubs with these names (which() must find them; the fake runner answers). */
function binDir(name: string, programs: string[]): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const p of programs)
    fs.writeFileSync(path.join(dir, p), '#!/bin/sh\necho "stub $0 must not run" >&2\nexit 99\n', { mode: 0o755 });
  return dir;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-facts-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('FactStore', () => {
  it('gathers a fact at most once, however often it is asked for', async () => {
    const runner = new FakeRunner({ python3: { stdout: fixture('python3-version') } });
    const store = new FactStore(runner, { PATH: binDir('once', ['python3']) }, tmp);
    expect(await store.get('python')).toBe('3.11.2');
    expect(await store.get('python')).toBe('3.11.2');
    expect(await store.gather(['python', 'python'])).toEqual({ python: '3.11.2' });
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toEqual([path.join(tmp, 'once', 'python3'), '--version']);
  });

  it('shares one gather between facts asked for concurrently', async () => {
    const runner = new FakeRunner(
      { git: { stdout: fixture('git-version') }, cmake: { stdout: fixture('cmake-version') } },
      30,
    );
    const store = new FactStore(runner, { PATH: binDir('concurrent', ['git', 'cmake']) }, tmp);
    const [a, b, all] = await Promise.all([store.get('git'), store.get('git'), store.gather(['git', 'cmake', 'git'])]);
    expect([a, b]).toEqual(['2.39.5', '2.39.5']);
    expect(all).toEqual({ git: '2.39.5', cmake: '3.25.1' });
    expect(runner.callsOf('git')).toHaveLength(1);
    expect(runner.callsOf('cmake')).toHaveLength(1);
  });

  it('is null without spawning anything when the program is not on PATH', async () => {
    const runner = new FakeRunner({
      cmake: { stdout: fixture('cmake-version') },
      nvcc: { stdout: fixture('nvcc-12.2') },
    });
    const store = new FactStore(runner, { PATH: binDir('empty', []) }, tmp);
    expect(await store.gather(['cmake', 'gcc', 'nvcc', 'node', 'python', 'pip'])).toEqual({
      cmake: null,
      gcc: null,
      nvcc: null,
      node: null,
      python: null,
      pip: null,
    });
    expect(await store.gather(['gpu', 'gpu_count', 'gpu_name', 'gpu_error', 'cuda'])).toEqual({
      gpu: false,
      gpu_count: 0,
      gpu_name: null,
      gpu_error: null,
      cuda: null,
    });
    expect(runner.calls).toEqual([]);
  });

  it('is null when the program exits non-zero, or the runner throws', async () => {
    const runner = new FakeRunner({
      python3: (args) =>
        args.includes('pip')
          ? { exitCode: 1, stderr: '/usr/bin/python3: No module named pip' }
          : { stdout: 'Python 3.12.3' },
    });
    const store = new FactStore(runner, { PATH: binDir('nonzero', ['python3']) }, tmp);
    expect(await store.gather(['python', 'pip'])).toEqual({ python: '3.12.3', pip: null });
    const throwing: Runner = { run: async () => Promise.reject(new Error('boom')) };
    expect(await new FactStore(throwing, { PATH: binDir('throws', ['git']) }, tmp).get('git')).toBeNull();
  });

  it('reads gpu, gpu_count, gpu_name, gpu_driver and cuda from one nvidia-smi invocation pair', async () => {
    const runner = new FakeRunner({ 'nvidia-smi': nvidiaSmi(fixture('nvidia-smi.query-8gpu')) }, 10);
    const store = new FactStore(runner, { PATH: binDir('gpu', ['nvidia-smi']) }, tmp);
    const [first, rest] = await Promise.all([
      store.get('gpu'),
      store.gather(['gpu_count', 'gpu_name', 'gpu_driver', 'gpu_error', 'cuda']),
    ]);
    expect(first).toBe(true);
    expect(rest).toEqual({
      gpu_count: 8,
      gpu_name: 'NVIDIA H200',
      gpu_driver: '560.35.03',
      gpu_error: null,
      cuda: '12.4',
    });
    const smi = runner.callsOf('nvidia-smi');
    expect(smi).toHaveLength(2);
    expect(smi.map((c) => c.slice(1))).toEqual(
      expect.arrayContaining([['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'], []]),
    );
    expect(runner.calls).toHaveLength(2); // nvcc is not on this PATH: not spawned
  });

  it('prefers the CUDA toolkit (nvcc) over what the driver supports', async () => {
    const runner = new FakeRunner({
      'nvidia-smi': nvidiaSmi(fixture('nvidia-smi.query-1gpu')),
      nvcc: { stdout: fixture('nvcc-12.2') },
    });
    const store = new FactStore(runner, { PATH: binDir('gpu-nvcc', ['nvidia-smi', 'nvcc']) }, tmp);
    expect(await store.gather(['gpu', 'gpu_count', 'gpu_name', 'cuda'])).toEqual({
      gpu: true,
      gpu_count: 1,
      gpu_name: 'NVIDIA H200',
      cuda: '12.2',
    });
    expect(runner.callsOf('nvidia-smi')).toHaveLength(2);
    expect(runner.callsOf('nvcc')).toEqual([[path.join(tmp, 'gpu-nvcc', 'nvcc'), '--version']]);
  });

  it('reports no GPU, and why, when nvidia-smi is there but fails', async () => {
    const failed = fixture('nvidia-smi.failed');
    const runner = new FakeRunner({ 'nvidia-smi': nvidiaSmi(failed, failed, 9) });
    const store = new FactStore(runner, { PATH: binDir('gpu-failed', ['nvidia-smi']) }, tmp);
    expect(await store.gather(['gpu', 'gpu_count', 'gpu_name', 'gpu_error', 'cuda'])).toEqual({
      gpu: false,
      gpu_count: 0,
      gpu_name: null,
      gpu_error:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
      cuda: null,
    });
    expect(runner.callsOf('nvidia-smi')).toHaveLength(2);
  });

  it('never gathers preset facts, and derives sudo from root first', async () => {
    const runner = new FakeRunner({ sudo: { exitCode: 0 }, python3: { stdout: 'Python 3.99.0' } });
    const PATH = binDir('preset', ['sudo', 'python3']);
    const asRoot = new FactStore(runner, { PATH }, tmp, { root: true, python: '3.10.12' });
    expect(await asRoot.gather(['python', 'sudo', 'root'])).toEqual({ python: '3.10.12', sudo: true, root: true });
    expect(runner.calls).toEqual([]);
    const asUser = new FactStore(runner, { PATH }, tmp, { root: false });
    expect(await asUser.get('sudo')).toBe(true);
    expect(runner.calls).toEqual([[path.join(PATH, 'sudo'), '-n', 'true']]);
  });

  it('rejects an unknown fact id', () => {
    const store = new FactStore(new FakeRunner({}), { PATH: '' }, tmp);
    expect(() => store.get('distr')).toThrow(/unknown fact distr/);
  });

  it('has unique fact ids, each described', () => {
    const ids = FACTS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of FACTS) expect(f.description.length, f.id).toBeGreaterThan(5);
  });
});
