import type { RefreshTraceMessage } from '../reporting/reporter';

/** What the refresh tracing channel hands a subscriber: the trace message, with `error` after a failure. */
export type RefreshMessage = RefreshTraceMessage & { readonly error?: unknown };

export type RefreshOutcome = 'success' | 'failure' | 'reauthorize';

/** `reauthorize`: someone must grant access again (not retryable); `failure`: anything else that went wrong. */
export function outcomeOf(error: unknown): RefreshOutcome {
  if (error === undefined) return 'success';
  return (error as { code?: unknown } | null)?.code === 'ERR_REAUTHORIZATION_REQUIRED' ? 'reauthorize' : 'failure';
}

/**
 * The failure as a span records it. The plugin's errors never hold a token, but their messages name
 * the credential: unless keys are recorded, a quoted key becomes `"<key>"`, and a message that still
 * contains it is replaced by the error's code.
 */
export function describeFailure(error: unknown, key: string, recordKeys: boolean): { name: string; message: string; code?: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? ((error as { code: string }).code as string) : undefined;
  const raw = error instanceof Error ? error.message : 'refresh failed';
  let message = raw;
  if (!recordKeys) {
    message = raw.split(`"${key}"`).join('"<key>"');
    if (message.includes(key)) message = code ?? name;
  }
  return code === undefined ? { name, message } : { name, message, code };
}
