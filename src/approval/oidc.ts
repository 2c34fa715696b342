/**
 * OIDC bearer JWTs for the decision API: teams with SSO approve with the identity their provider
 * already vouches for, and need no Tollgate secret at all.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

export interface OidcSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The claim that names the approver as the directory knows them (default `sub`). */
  identityClaim: string;
}

export type OidcAuthentication = { ok: true; identifier: string } | { ok: false; reason: string };

export interface OidcVerifier {
  authenticate(jwt: string): Promise<OidcAuthentication>;
}

/** Three base64url segments, the first a JSON header: worth trying as a JWT. */
export const looksLikeJwt = (token: string): boolean => /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

export function createOidcVerifier(settings: OidcSettings, keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl))): OidcVerifier {
  return {
    async authenticate(jwt) {
      try {
        const { payload } = await jwtVerify(jwt, keys, { issuer: settings.issuer, audience: settings.audience, clockTolerance: 30 });
        const identity = payload[settings.identityClaim];
        if (typeof identity !== 'string' || identity.length === 0) {
          return { ok: false, reason: `the token has no "${settings.identityClaim}" claim to name the approver (auth.oidc.identityClaim)` };
        }
        return { ok: true, identifier: identity };
      } catch (error) {
        return { ok: false, reason: reasonFor(error, settings) };
      }
    },
  };
}

function reasonFor(error: unknown, settings: OidcSettings): string {
  if (error instanceof errors.JWTExpired) return 'the OIDC token has expired: sign in again';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the OIDC token is for another audience (expected "${settings.audience}")`;
    if (error.claim === 'iss') return `the OIDC token is from another issuer (expected "${settings.issuer}")`;
    return `the OIDC token's "${error.claim}" claim is not acceptable: ${error.message}`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return `the OIDC token is signed with a key that ${settings.jwksUrl} does not list`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the OIDC token\'s signature does not verify';
  if (error instanceof errors.JWKSTimeout || (error as { code?: string }).code === 'ERR_JWKS_TIMEOUT') return `could not fetch the signing keys from ${settings.jwksUrl} in time`;
  return `the OIDC token was refused: ${(error as Error).message}`;
}
