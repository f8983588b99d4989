import { linkedin } from './linkedin';
import { unauthorized } from './unauthorized';

/** Built-in matchers. Each call returns a fresh `Matcher`. */
export const matchers = Object.freeze({ unauthorized, linkedin });
