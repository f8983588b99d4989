// `npm test`: runs jest, and turns "jest finished but the process does not exit" into a failure.
// A test that leaves a socket, timer or child process behind would otherwise hang CI silently
// (jest only prints "Jest did not exit one second after the test run has completed").
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const EXIT_GRACE_MS = 20_000;
const jestBin = createRequire(import.meta.url).resolve('jest/bin/jest');
const child = spawn(process.execPath, [jestBin, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'pipe'] });

let watchdog;
child.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  if (watchdog === undefined && /Ran all test suites|Test Suites: .* total/.test(String(chunk))) {
    watchdog = setTimeout(() => {
      process.stderr.write(
        `\njest-watchdog: jest reported its results but did not exit within ${EXIT_GRACE_MS / 1000} s: a test left a handle open ` +
          '(socket, timer, child process). Run `npx jest --detectOpenHandles` to find it. Failing.\n',
      );
      child.kill('SIGKILL');
      process.exitCode = 1;
    }, EXIT_GRACE_MS);
    watchdog.unref();
  }
});
child.on('exit', (code) => {
  clearTimeout(watchdog);
  if (process.exitCode === 1) return;
  process.exitCode = code ?? 1; // killed by a signal: a failure too
});
