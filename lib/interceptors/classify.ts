import type { AxiosResponse } from 'axios';
import { MatcherError } from '../errors';
import type { Matcher, Verdict } from '../types';

/** Runs the matchers in order; the first verdict wins. A matcher that throws is a bug worth surfacing. */
export function classify(response: AxiosResponse, matchers: readonly Matcher[], key: string): Verdict | undefined {
  for (const [index, matcher] of matchers.entries()) {
    let verdict: Verdict | undefined;
    try {
      verdict = matcher(response);
    } catch (error) {
      throw new MatcherError(`axios-token-flight: matcher #${index} (${matcher.name || 'anonymous'}) threw while classifying a ${response.status} response`, {
        key,
        cause: error,
      });
    }
    if (verdict === 'refresh' || verdict === 'propagation' || verdict === 'reauthorize') return verdict;
  }
  return undefined;
}
