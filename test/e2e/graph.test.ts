import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { ROOT, runCli, tempHome } from './helpers.js';

describe('setup plan --graph', () => {
  const home = tempHome();

  it('prints the ml-stack dependency graph as Graphviz dot (golden), and the same again', async () => {
    const r = await runCli(['plan', 'ml-stack', '--graph'], home);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectGolden('graph-ml-stack.dot', r.stdout);
    expect((await runCli(['plan', 'ml-stack', '--graph'], home)).stdout).toBe(r.stdout);
  });

  it('prints it as Mermaid with --format mermaid (golden)', async () => {
    const r = await runCli(['plan', 'ml-stack', '--graph', '--format', 'mermaid'], home);
    expect(r.code).toBe(0);
    expectGolden('graph-ml-stack.mmd', r.stdout);
  });

  it('README shows exactly that Mermaid graph under "## Dependency graph"', async () => {
    const r = await runCli(['plan', 'ml-stack', '--graph', '--format', 'mermaid'], home);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Dependency graph'));
    expect(readme).toContain('## Dependency graph');
    expect(section).toContain('```mermaid\n' + r.stdout + '```');
  });

  it('defaults to every recipe, as JSON with --json, without checking any step', async () => {
    const r = await runCli(['plan', '--graph', '--json'], home);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ kind: 'graph', version: 1 });
    const bundled = fs
      .readdirSync(path.join(ROOT, 'recipes'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    expect(doc.nodes.map((n: { name: string }) => n.name)).toEqual(bundled);
    expect(doc.edges).toContainEqual({ from: 'faiss', to: 'openblas' });
    // Nothing was checked or written: no state folder appeared.
    expect(fs.existsSync(path.join(home, '.local', 'state', 'envkit', 'logs'))).toBe(false);
  });

  it('--format without --graph, or an unknown format, is invalid input (exit 2)', async () => {
    const a = await runCli(['plan', '--format', 'mermaid'], home);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--format goes with --graph');
    const b = await runCli(['plan', '--graph', '--format', 'svg'], home);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('svg');
  });
});
