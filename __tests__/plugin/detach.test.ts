import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { closeAll, harness, seedAccepted } from '../helpers/setup';

afterEach(closeAll);

describe('detach', () => {
  it('ejects both interceptors: later requests go out without a token and are not refreshed', async () => {
    const h = await harness();
    await seedAccepted(h);
    h.handle.detach();

    await h.client.get('/after').catch(() => undefined);

    expect(h.api.requests[0]?.authorization).toBeUndefined();
    expect(h.authority.refreshCount).toBe(0);
    expect(() => h.handle.detach()).not.toThrow(); // idempotent
  });

  it('lets the process exit on its own: no timers, sockets or listeners left behind', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'detach-child.ts')], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 6_000,
    });

    expect(child.error).toBeUndefined(); // a timeout here means something kept the event loop alive
    expect(child.stderr).toBe('');
    expect(child.stdout).toMatch(/done after \d+ calls/);
    expect(child.status).toBe(0);
  });
});
