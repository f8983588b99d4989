import { any, bodyField, header, status } from './compose';
import { github } from './github';
import { google } from './google';
import { hubspot } from './hubspot';
import { linkedin } from './linkedin';
import { meta } from './meta';
import { microsoftGraph } from './microsoft-graph';
import { salesforce } from './salesforce';
import { shopify } from './shopify';
import { slack } from './slack';
import { twitter } from './twitter';
import { unauthorized } from './unauthorized';
import { xero } from './xero';
import { zoom } from './zoom';

/** Built-in matchers (each call returns a fresh `Matcher`) and helpers to build your own. */
export const matchers = Object.freeze({
  unauthorized,
  linkedin,
  google,
  microsoftGraph,
  salesforce,
  hubspot,
  meta,
  slack,
  zoom,
  xero,
  shopify,
  github,
  twitter,
  status,
  bodyField,
  header,
  any,
});

export type { BodyFieldOptions } from './compose';
