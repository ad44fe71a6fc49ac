import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTar, serve, sha256 } from '../helpers/archives.js';
import { canBuildSea, ensureSeaBinary, pathWithoutNode } from '../helpers/sea.js';
import { BIN, ROOT, cliEnv, runProgram, tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * The single-file setup (`npm run build:sea` → dist/setup-linux-x64) on a host without Node: PATH holds every
 * program of the system but node, HOME is fresh, and every command a user starts with works from the one
 * file — the bundled recipes and schemas unpacked once into the cache (src/util/sea-root.ts).
 */
describe.skipIf(!canBuildSea)('the single-file setup (dist/setup-linux-x64), with no node on PATH', () => {
  let binary = '';
  let noNode = '';
  let server: Awaited<ReturnType<typeof serve>>;
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const archive = gzipSync(
    rawTar([{ path: 'tool/bin/greet', body: '#!/bin/sh\necho hello from the archive\n', mode: 0o755 }]),
  );

  beforeAll(async () => {
    const built = ensureSeaBinary();
    binary = built.file;
    const mib = (fs.statSync(binary).size / 2 ** 20).toFixed(1);
    console.info(`sea: ${binary}: ${mib} MiB${built.ms ? `, built in ${(built.ms / 1000).toFixed(1)} s` : ''}`);
    noNode = pathWithoutNode(path.join(tempHome('envkit-sea-path-'), 'bin'));
    server = await serve({ '/tool.tar.gz': archive });
  }, 600_000);

  afterAll(async () => {
    await server?.close();
  });

  /** Runs the binary with the node-free PATH, HOME set, no colour and no XDG variables inherited. */
  const sea = (args: string[], home: string, env: Record<string, string> = {}): Promise<CliResult> =>
    runProgram(binary, args, { env: cliEnv(home, { PATH: noNode, ...env }), cwd: home });

  it('has no node to fall back on: `command -v node` fails on its PATH', () => {
    const res = spawnSync('/bin/bash', ['-c', 'command -v node || command -v nodejs || command -v npm'], {
      env: { PATH: noNode },
      encoding: 'utf8',
    });
    expect(res.status, res.stdout).toBe(1);
    expect(spawnSync('/bin/bash', ['-c', 'command -v git'], { env: { PATH: noNode } }).status).toBe(0);
  });

  it('answers --version, lists and plans the bundled recipes, writes init’s schema line to a real file', async () => {
    const home = tempHome('envkit-sea-');
    const v = await sea(['--version'], home);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toBe(`${version}\n`);

    const list = await sea(['list'], home);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^pip-mirror\s/m);
    expect(list.stdout).toMatch(/^cmake\s/m);

    // The default profile names no pip index (pip's own config decides): a mirror gives pip-mirror work.
    const plan = await sea(['plan', 'pip-mirror', '--mirror', 'tuna', '--exit-code'], home);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain('will run: ~/.config/pip/pip.conf does not exist');

    // The bundled recipes are real files, unpacked once: show names one.
    const unpacked = fs.readdirSync(path.join(home, '.cache', 'envkit', 'sea'));
    expect(unpacked).toEqual([expect.stringMatching(new RegExp(`^${version.replace(/\./g, '\\.')}-[0-9a-f]{16}$`))]);
    const root = path.join(home, '.cache', 'envkit', 'sea', unpacked[0]!);
    const show = await sea(['show', 'pip-mirror', '--json'], home);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(path.join(root, 'recipes', 'pip-mirror.yaml'));

    const init = await sea(['init', 'mine'], home);
    expect(init.code, init.stderr).toBe(0);
    const first = fs.readFileSync(path.join(home, '.config', 'envkit', 'recipes', 'mine.yaml'), 'utf8').split('\n')[0]!;
    const schema = new URL(first.replace('# yaml-language-server: $schema=', ''));
    expect(schema.pathname).toBe(path.join(root, 'schema', 'recipe.schema.json'));
    expect(JSON.parse(fs.readFileSync(schema, 'utf8'))).toHaveProperty('$schema');
  });

  it('validate names the user’s file, line and column; exit 2, no stack', async () => {
    const home = tempHome('envkit-sea-');
    const bad = path.join(home, 'typo.yaml');
    fs.writeFileSync(bad, 'name: typo\nsteps:\n  - name: One\n    run: [true]\n    creates: ~/x\n    retires: 2\n');
    const res = await sea(['validate', bad], home);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^${bad.replace(/[.]/g, '\\.')}:6:5: error: unknown key "retires"`, 'm'));
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs a recipe (a file, a command, a download) with real paths; the second run does nothing; doctor --json agrees', async () => {
    const home = tempHome('envkit-sea-');
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'sea-demo.yaml': `name: sea-demo
description: a file, a command and a download, from the single-file setup
steps:
  - name: A file
    file: { path: ~/demo/greeting.txt, content: "hello\\n" }
  - name: A command
    run: 'cat ~/demo/greeting.txt > ~/demo/copied.txt; echo ran >> ~/demo/runs.txt'
    creates: ~/demo/copied.txt
  - name: A tool
    download: { url: "${server.base}/tool.tar.gz", sha256: ${sha256(archive)}, extract: ~/demo/tool }
verify:
  - file: ~/demo/copied.txt
  - command: ~/demo/tool/tool/bin/greet
`,
    });
    const args = ['--recipes', recipes];
    const run = await sea([...args, 'run', 'sea-demo'], home);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(fs.readFileSync(path.join(home, 'demo', 'copied.txt'), 'utf8')).toBe('hello\n');
    expect(execFileSync(path.join(home, 'demo', 'tool', 'tool', 'bin', 'greet'), { encoding: 'utf8' })).toBe(
      'hello from the archive\n',
    );

    const again = await sea([...args, 'run', 'sea-demo'], home);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'demo', 'runs.txt'), 'utf8')).toBe('ran\n');
    expect(server.count('/tool.tar.gz')).toBe(1);
    const plan = await sea([...args, 'plan', 'sea-demo', '--exit-code'], home);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);

    const doctor = await sea([...args, 'doctor', 'sea-demo', '--offline', '--json'], home);
    expect(doctor.code, doctor.stderr).toBe(0);
    const report = JSON.parse(doctor.stdout) as { kind: string; status: string; facts: Record<string, unknown> };
    expect(report.kind).toBe('doctor');
    expect(report.status).toBe('ok');
    expect(report.facts.node).toBeNull(); // no node on PATH: the binary does not count as one
  });

  it('unpacks once when two first starts race; a cache it cannot write is one line, not a stack', async () => {
    const home = tempHome('envkit-sea-');
    const both = await Promise.all([sea(['list', '--json'], home), sea(['list', '--json'], home)]);
    for (const r of both) expect(r.code, r.stderr).toBe(0);
    expect(both[0].stdout).toBe(both[1].stdout);
    const sea_ = path.join(home, '.cache', 'envkit', 'sea');
    expect(fs.readdirSync(sea_)).toHaveLength(1); // no temp folder left behind

    // A folder a cache cleaner emptied in part is filled again.
    const [dir] = fs.readdirSync(sea_);
    fs.rmSync(path.join(sea_, dir!, 'recipes', 'cmake.yaml'));
    expect((await sea(['show', 'cmake'], home)).code).toBe(0);
    expect(fs.existsSync(path.join(sea_, dir!, 'recipes', 'cmake.yaml'))).toBe(true);
    expect(fs.readdirSync(sea_)).toHaveLength(1);

    const blocked = path.join(home, 'not-a-folder');
    fs.writeFileSync(blocked, '');
    const res = await sea(['list'], home, { XDG_CACHE_HOME: blocked });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      new RegExp(`^setup: error: cannot unpack the recipes and schemas this setup carries into ${blocked}/envkit/sea/`),
    );
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('start time of `setup --help`: the binary vs bin/setup (measured, not asserted)', () => {
    const home = tempHome('envkit-sea-');
    const env = cliEnv(home);
    const time = (file: string, args: string[]): number => {
      const runs: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t = process.hrtime.bigint();
        execFileSync(file, args, { env, stdio: 'ignore' });
        runs.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      runs.sort((a, b) => a - b);
      return runs[Math.floor(runs.length / 2)]!; // the median
    };
    const sea = time(binary, ['--help']);
    const bin = time(process.execPath, [BIN, '--help']);
    console.info(
      `sea: setup --help, median of 6: ${sea.toFixed(0)} ms from the binary, ${bin.toFixed(0)} ms from bin/setup`,
    );
  });
});
