import type { AxiosResponse } from 'axios';
import { MatcherError } from '../errors';
import type { Matcher, Verdict } from '../types';

/** Runs the matchers in order; the first verdict wins. A matcher that throws is a bug worth surfacing. */
export function classify(response: AxiosResponse, matchers: readonly Matcher[], key: string): Verdict | undefined {
  // An index loop: it runs for every response, and `entries()` would build an iterator and a pair per matcher.
  for (let index = 0; index < matchers.length; index++) {
    const matcher = matchers[index] as Matcher;
    let verdict: Verdict | undefined;
    try {
      verdict = matcher(response);
    } catch (error) {
      throw new MatcherError(
        `axios-token-flight: matcher #${index} (${matcher.name || 'anonymous'}) threw while classifying a ${response.status} response`,
        {
          key,
          cause: error,
        },
      );
    }
    if (verdict === 'refresh' || verdict === 'propagation' || verdict === 'reauthorize') return verdict;
    if (verdict !== undefined) throw notAVerdict(index, matcher, verdict, response.status, key);
  }
  return undefined;
}

/** A matcher answered something other than a verdict: most often a factory passed uncalled (`matchers.linkedin`). */
function notAVerdict(index: number, matcher: Matcher, answer: unknown, status: number, key: string): MatcherError {
  const name = matcher.name || 'anonymous';
  const hint = typeof answer === 'function' ? ` — it returned a function: pass \`${name}()\`, not \`${name}\`` : '';
  return new MatcherError(
    `axios-token-flight: matcher #${index} (${name}) returned ${describeAnswer(answer)} for a ${status} response, not 'refresh', 'propagation', 'reauthorize' or undefined${hint}`,
    { key },
  );
}

/** Never the value itself: a matcher could hand back anything, a header value included. */
function describeAnswer(answer: unknown): string {
  return answer === null ? 'null' : `a ${typeof answer}`;
}
