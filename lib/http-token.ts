/** RFC 9110 §5.6.1 `token`: what a header name and an authentication scheme (`Bearer`, `DPoP`…) may be. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
