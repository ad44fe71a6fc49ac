import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seaFolder, seaHash, seaPackageRoot, unpackSea, type SeaManifest } from '../../src/util/sea-root.js';

const FILES: Record<string, string> = {
  'package.json': '{"version":"1.2.3"}\n',
  'recipes/a.yaml': 'name: a\n',
  'recipes/profiles/p.yaml': 'name: p\n',
  'schema/recipe.schema.json': '{}\n',
};
const manifest: SeaManifest = {
  version: '1.2.3',
  hash: seaHash(Object.entries(FILES).map(([p, t]) => ({ path: p, data: Buffer.from(t) }))),
  files: Object.keys(FILES),
};

/** A reader of the assets that counts what it is asked for; `before` runs before the first read. */
function reader(before?: () => void) {
  const reads: string[] = [];
  return {
    reads,
    read: (key: string): Uint8Array => {
      if (!reads.length) before?.();
      reads.push(key);
      return Buffer.from(FILES[key]!);
    },
  };
}

const tree = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );

describe('the single-file setup’s unpacked files (util/sea-root.ts)', () => {
  it('names the folder by version and a hash of the files, which any change of a path or a byte changes', () => {
    expect(seaFolder(manifest, '/c')).toBe(`/c/envkit/sea/1.2.3-${manifest.hash}`);
    expect(manifest.hash).toMatch(/^[0-9a-f]{16}$/);
    const files = Object.entries(FILES).map(([p, t]) => ({ path: p, data: Buffer.from(t) }));
    expect(seaHash([...files].reverse())).toBe(manifest.hash);
    expect(seaHash(files.map((f, i) => (i ? f : { ...f, data: Buffer.from('{}') })))).not.toBe(manifest.hash);
    expect(seaHash(files.map((f, i) => (i ? f : { ...f, path: 'x.json' })))).not.toBe(manifest.hash);
  });

  it('unpacks once; a folder emptied in part is filled again; no temp folder is left', () => {
    const dir = seaFolder(manifest, fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-sea-unit-')));
    const first = reader();
    expect(unpackSea(manifest, first.read, dir)).toBe(dir);
    expect(tree(dir)).toEqual(FILES);
    const second = reader();
    unpackSea(manifest, second.read, dir);
    expect(second.reads).toEqual([]);

    fs.rmSync(path.join(dir, 'recipes', 'profiles'), { recursive: true });
    unpackSea(manifest, reader().read, dir);
    expect(tree(dir)).toEqual(FILES);
    expect(fs.readdirSync(path.dirname(dir))).toEqual([path.basename(dir)]);
  });

  it('keeps the folder another process renamed in first, and removes its own', () => {
    const dir = seaFolder(manifest, fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-sea-unit-')));
    const other = path.join(path.dirname(dir), 'other');
    // The other process finishes while this one is still writing.
    const racing = reader(() => {
      unpackSea(manifest, reader().read, other);
      fs.renameSync(other, dir);
      fs.writeFileSync(path.join(dir, 'theirs'), '');
    });
    expect(unpackSea(manifest, racing.read, dir)).toBe(dir);
    expect(fs.existsSync(path.join(dir, 'theirs'))).toBe(true);
    expect(fs.readdirSync(path.dirname(dir))).toEqual([path.basename(dir)]);
  });

  it('is not consulted outside the single file: the package root stays the checkout', () => {
    expect(seaPackageRoot('/nonexistent')).toBeUndefined();
  });
});
