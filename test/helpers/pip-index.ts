import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A PEP 503 simple index on disk, of wheels written directly with zipfile (METADATA, WHEEL, RECORD and a
 * module): no build backend, no network. envkit-demo-a 1.0 and 2.0; envkit-demo-b 0.5 needs envkit-demo-a>=1.0;
 * envkit-demo-c 1.0 needs envkit-demo-a==1.0 (to break by hand); envkit-demo-bad 1.0 installs fine and fails
 * to import, like a torchvision built for another torch. The script is make-index.py (bench/ uses it too).
 */
export const MAKE_INDEX = fs.readFileSync(path.join(import.meta.dirname, 'make-index.py'), 'utf8');

/** Writes the index into `root` (root/simple is the index URL's folder). */
export function makeIndex(python: string, root: string): void {
  execFileSync(python, ['-c', MAKE_INDEX, root]);
}
