import type { CredentialStatus } from '../stores/credential-status';

/** The state column: what an operator acts on first. */
function stateOf(status: CredentialStatus, now: number): string {
  if (status.deleted) return 'deleted';
  const states: string[] = [];
  if (status.locked) states.push('refreshing');
  if (status.failure?.kind === 'reauthorize') states.push('needs re-authorisation');
  if (status.failure?.kind === 'backoff') states.push(`backing off until ${iso(status.failure.until)}`);
  if (status.expiresAt !== undefined && status.expiresAt <= now) states.push('expired');
  return states.length === 0 ? 'ok' : states.join(', ');
}

function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? '-' : new Date(epochMs).toISOString();
}

export function formatTable(statuses: readonly CredentialStatus[], now = Date.now()): string {
  const rows = statuses.map((status) => [
    status.key,
    String(status.version),
    status.deleted ? '-' : iso(status.expiresAt),
    status.hasRefreshToken ? 'yes' : 'no',
    stateOf(status, now),
  ]);
  const header = ['KEY', 'VERSION', 'EXPIRES', 'REFRESH TOKEN', 'STATE'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatOne(status: CredentialStatus, now = Date.now()): string {
  return [
    `key:            ${status.key}`,
    `version:        ${status.version}`,
    `expires:        ${status.deleted ? '-' : iso(status.expiresAt)}`,
    `refresh token:  ${status.hasRefreshToken ? 'yes' : 'no'}`,
    `state:          ${stateOf(status, now)}`,
  ].join('\n');
}
