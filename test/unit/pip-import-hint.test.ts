import { describe, expect, it } from 'vitest';
import { importFailureHint } from '../../src/steps/pip/hints.js';

describe('the hint of a pip step whose imports: fail', () => {
  it('a module no distribution provides is the recipe naming it wrong, not wheels that do not fit', () => {
    const h = importFailureHint("import nosuchmod fails: ModuleNotFoundError: No module named 'nosuchmod'");
    expect(h).toMatch(/^no installed distribution provides the module nosuchmod: /);
    expect(h).not.toMatch(/CUDA/);
    expect(importFailureHint("import a.b fails: ModuleNotFoundError: No module named 'a'")).toMatch(/module a:/);
  });
  it('a module that fails inside (a dependency missing, a broken build) keeps the builds hint', () => {
    expect(importFailureHint("import torchvision fails: ModuleNotFoundError: No module named 'torch'")).toMatch(
      /do not work together/,
    );
    expect(importFailureHint('import torchvision fails: OSError: libcudart.so.12: cannot open')).toMatch(/CUDA/);
  });
});
