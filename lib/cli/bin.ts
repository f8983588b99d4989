/**
 * `axios-token-flight` — operate the credentials of a RedisTokenStore: list, show, delete, seed.
 * See docs/operations.md.
 */
import { runCli } from './main';

void runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdin: process.stdin,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}).then((code) => {
  process.exitCode = code;
});
