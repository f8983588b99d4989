/**
 * One implementation behind `import` and `require`: an error thrown through one door is an
 * instance of the other door's classes, and `isRetryableAuthError` from either recognises it — a
 * job queue that mixes both must not drop a retryable job. Runs the built package (dist/).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

it('import and require give the same classes; errors cross between them', () => {
  const output = execFileSync(process.execPath, [path.join(__dirname, '..', 'fixtures', 'dual-package.mjs')], {
    encoding: 'utf8',
    timeout: 15_000,
  });

  expect(JSON.parse(output)).toEqual({ sameClasses: true, sameTesting: true, instanceofRequired: true, retryableByRequired: true });
});
