import { clientCredentialsGrant } from './client-credentials-grant';
import { jwtBearerGrant } from './jwt-bearer-grant';
import { refreshTokenGrant } from './refresh-token-grant';

/** OAuth2 grant helpers; each returns a `refresh` function for `attachTokenRefresh`. */
export const oauth2 = Object.freeze({ refreshTokenGrant, clientCredentialsGrant, jwtBearerGrant });
