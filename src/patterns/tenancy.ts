import type { PolicySubject } from '../policy/types.js';

/**
 * Multi-tenant isolation (seed: TenantIsolationGovernance, TenantResourceNaming).
 * The tenant-isolation preset reads the keys these functions compute; a request that was
 * not enriched carries none of them and is denied there, which is the intent: fail closed.
 */

// The seed's `re.match(r"[^:]+://([^/]+)/", ...)`: re.match anchors at the start, and the
// tenant segment must be followed by a slash, so `tenant://acme` (no slash) has no tenant.
const TENANT_SEGMENT = /^[^:]+:\/\/([^/]+)\//;

export const DEFAULT_TENANT_SCHEMES: readonly string[] = ['dataset', 'graph', 'model'];

export interface TenantContext {
  cross_tenant_access: boolean;
  tenant_verified: boolean;
  subject_tenant: string | null;
  resource_tenant: string | null;
  /** Set when the subject carries no tenant_id tag. */
  error?: string;
  [key: string]: unknown;
}

export interface ResourceNamingContext {
  resource_naming_valid: boolean;
  validation_message: string;
  [key: string]: unknown;
}

/** `dataset://tenant123/sales` -> `tenant123`; null when the resource has no tenant segment. */
export function extractTenantId(resource: string): string | null {
  return TENANT_SEGMENT.exec(resource)?.[1] ?? null;
}

function subjectTenant(subject: PolicySubject): string | null {
  const tenant = subject.tags?.tenant_id;
  return typeof tenant === 'string' && tenant !== '' ? tenant : null;
}

/**
 * Context for the tenant-isolation preset. A resource without a tenant segment counts as
 * cross-tenant, as in the seed: nothing is shared unless a rule says so explicitly.
 */
export function tenantContext(subject: PolicySubject, resource: string): TenantContext {
  const resourceTenant = extractTenantId(resource);
  const tenant = subjectTenant(subject);
  if (tenant === null) {
    return {
      cross_tenant_access: true,
      tenant_verified: false,
      subject_tenant: null,
      resource_tenant: resourceTenant,
      error: 'Subject missing tenant_id',
    };
  }
  const crossTenant = resourceTenant === null || resourceTenant !== tenant;
  return {
    cross_tenant_access: crossTenant,
    tenant_verified: !crossTenant,
    subject_tenant: tenant,
    resource_tenant: resourceTenant,
  };
}

/**
 * Does the resource live under the subject's tenant in one of the tenant-scoped schemes
 * (`dataset://<tenant>/...`, `graph://<tenant>/...`, `model://<tenant>/...`)?
 */
export function resourceNamingContext(
  subject: PolicySubject,
  resource: string,
  schemes: readonly string[] = DEFAULT_TENANT_SCHEMES,
): ResourceNamingContext {
  const tenant = subjectTenant(subject);
  if (tenant === null) {
    // The seed would format "dataset://None/"; a subject without a tenant can name nothing.
    return { resource_naming_valid: false, validation_message: 'Subject missing tenant_id' };
  }
  const valid = schemes.some((scheme) => resource.startsWith(`${scheme}://${tenant}/`));
  return valid
    ? { resource_naming_valid: true, validation_message: 'OK' }
    : { resource_naming_valid: false, validation_message: `Resource must be scoped to tenant ${tenant}` };
}
