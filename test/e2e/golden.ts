import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './helpers.js';

/** Compares text with test/golden/<name>; `UPDATE_GOLDEN=1 npm test` rewrites the files (review the diff). */
export function expectGolden(name: string, text: string): void {
  const file = path.join(ROOT, 'test', 'golden', name);
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI)
      throw new Error(`golden file ${name} was missing; it has been written, commit it`);
  }
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}
