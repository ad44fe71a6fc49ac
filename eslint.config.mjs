// `npm run lint`: @eslint/js and typescript-eslint recommended, rules at their defaults but where this file
// says why. Type-aware rules (recommendedTypeChecked) are left out: they build the whole TypeScript program,
// which here takes longer than the lint itself (`npm run typecheck` already does that work).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The scripts (scripts/, bench/) run in node: their globals are this node's own. */
const nodeGlobals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly']));

export default defineConfig(
  { ignores: ['dist/', 'coverage/', '.vitest-*/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    rules: {
      // As TypeScript's own noUnusedParameters: a parameter named `_x` is unused on purpose (it keeps a
      // callback's or an interface's shape), and `const { key: _k, ...rest } = o` is how the code leaves a key out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
