import { describe, expect, it } from 'vitest';
import type { PolicySubject } from '../../../src/policy/index.js';
import { extractTenantId, resourceNamingContext, tenantContext } from '../../../src/patterns/tenancy.js';

const tenantA = { identifier: 'user-123', roles: ['developer'], tags: { tenant_id: 'tenant_a' } };

describe('extractTenantId', () => {
  it.each([
    ['dataset://tenant123/sales', 'tenant123'],
    ['graph://tenant456/workflows/prod', 'tenant456'],
    ['tenant://acme/', 'acme'],
    ['s3+ssh://acme/x', 'acme'],
  ])('%s -> %s', (resource, tenant) => {
    expect(extractTenantId(resource)).toBe(tenant);
  });

  it.each([
    'tenant://acme', // no slash after the tenant, as the seed's regex requires one
    'dataset:///sales', // empty tenant segment
    'calculator',
    '://acme/x', // empty scheme
    'dataset:/acme/x', // one slash: not scheme://
  ])('%s has no tenant', (resource) => {
    expect(extractTenantId(resource)).toBeNull();
  });
});

describe('tenantContext', () => {
  it('marks the seed example (tenant_a reading tenant_b) as cross-tenant', () => {
    expect(tenantContext(tenantA, 'dataset://tenant_b/sales')).toEqual({
      cross_tenant_access: true,
      tenant_verified: false,
      subject_tenant: 'tenant_a',
      resource_tenant: 'tenant_b',
    });
  });

  it('verifies access within the tenant', () => {
    expect(tenantContext(tenantA, 'dataset://tenant_a/sales')).toEqual({
      cross_tenant_access: false,
      tenant_verified: true,
      subject_tenant: 'tenant_a',
      resource_tenant: 'tenant_a',
    });
  });

  it('treats a resource without a tenant as cross-tenant', () => {
    expect(tenantContext(tenantA, 'tool://calculator')).toMatchObject({ cross_tenant_access: true, tenant_verified: false, resource_tenant: null });
  });

  it('treats a subject without tenant_id (or an empty one) as cross-tenant, with an error', () => {
    const subjects: PolicySubject[] = [{ identifier: 'svc' }, { identifier: 'svc', tags: { tenant_id: '' } }, { identifier: 'svc', tags: { team: 'x' } }];
    for (const subject of subjects) {
      expect(tenantContext(subject, 'dataset://tenant_a/sales')).toEqual({
        cross_tenant_access: true,
        tenant_verified: false,
        subject_tenant: null,
        resource_tenant: 'tenant_a',
        error: 'Subject missing tenant_id',
      });
    }
  });

  it('does not match a tenant by prefix', () => {
    expect(tenantContext(tenantA, 'dataset://tenant_ab/sales').cross_tenant_access).toBe(true);
  });
});

describe('resourceNamingContext', () => {
  it.each(['dataset://tenant_a/x', 'graph://tenant_a/flows/prod', 'model://tenant_a/m1'])('accepts %s', (resource) => {
    expect(resourceNamingContext(tenantA, resource)).toEqual({ resource_naming_valid: true, validation_message: 'OK' });
  });

  it.each(['dataset://global/x', 'bucket://tenant_a/x', 'dataset://tenant_a', 'dataset://tenant_ab/x'])('rejects %s', (resource) => {
    expect(resourceNamingContext(tenantA, resource)).toEqual({
      resource_naming_valid: false,
      validation_message: 'Resource must be scoped to tenant tenant_a',
    });
  });

  it('takes the schemes to accept', () => {
    expect(resourceNamingContext(tenantA, 'bucket://tenant_a/x', ['bucket']).resource_naming_valid).toBe(true);
    expect(resourceNamingContext(tenantA, 'dataset://tenant_a/x', ['bucket']).resource_naming_valid).toBe(false);
  });

  it('rejects everything for a subject without a tenant', () => {
    expect(resourceNamingContext({ identifier: 'svc' }, 'dataset://None/x')).toEqual({
      resource_naming_valid: false,
      validation_message: 'Subject missing tenant_id',
    });
  });
});
