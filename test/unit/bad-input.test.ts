import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/util/errors.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { loadProfileFile, profileFiles } from '../../src/catalog/profile.js';
import { KIND_BY_NAME } from '../../src/steps/registry.js';
import {
  errorLines,
  expectedLines,
  listCases,
  makeCaseRoot,
  prepareCase,
  relativeLines,
} from '../helpers/bad-input-cases.js';

/**
 * The corpus of broken recipes (test/fixtures/bad-input, one folder per case): each case loads
 * in-process and yields exactly the error lines of its expected.txt, in order.
 */
describe('bad recipe input', () => {
  const cases = listCases();
  const { root, cleanup } = makeCaseRoot();
  afterAll(cleanup);

  it('has a corpus worth the name', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)('%s', { timeout: 10_000 }, async (name) => {
    const dir = await prepareCase(name, root);
    // Alias bombs and oversized files must be refused, not chewed on: the test's timeout guards that
    // (how fast, measured: `npm run bench`).
    const catalog = await loadCatalog([{ dir, origin: 'flag', explicit: true }]);
    // Profiles are input too: the folder's profiles/, as `setup validate` reads them.
    const profiles = await Promise.all([...(await profileFiles([dir])).values()].map((f) => loadProfileFile(f)));
    const problems = [...catalog.problems, ...profiles.flatMap((p) => p.problems)];
    const actual = errorLines(relativeLines(problems.map(formatProblem).join('\n'), root));
    expect(actual).toEqual(expectedLines(name, KIND_BY_NAME.keys()));
  });
});
