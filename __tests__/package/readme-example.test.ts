import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

describe('README example', () => {
  it('is exactly examples/readme-example.mts', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const example = readFileSync(path.join(root, 'examples', 'readme-example.mts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });

  it('runs as written against a local LinkedIn-like provider: 1 refresh, propagation waited out, success', async () => {
    // Uses the built package (`npm test` builds first), as a user importing 'axios-token-flight' would.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'run-readme-example.ts')], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(output).toMatch(/\{ ok: true, path: '\/linkedin\/rest\/me' \}/);
    expect(output).toMatch(/refreshes: 1,/);
    expect(output).toMatch(/propagationWaits: [1-9],/);
    expect(output).toMatch(/failures: 0/);
    expect(output).toMatch(/provider saw 1 refresh\(es\)/);
    expect(code).toBe(0);
  });
});
