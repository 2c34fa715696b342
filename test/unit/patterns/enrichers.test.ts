import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENRICHERS, DEFAULT_ENVIRONMENT, ENRICHER_KEYS, createEnrichmentPipeline, mergeContext, policyRequestFor,
} from '../../../src/patterns/enrichers.js';
import { parseConfig } from '../../../src/config.js';

const security = { domainAllowlist: ['api.example.com'] };
const subject = { identifier: 'ann', tags: { tenant_id: 'acme' } };

describe('the enrichment pipeline', () => {
  it('runs the configured enrichers in order and computes only their documented keys', async () => {
    const pipeline = createEnrichmentPipeline(DEFAULT_ENRICHERS, { security, rolloutPercentage: () => 25 });
    const computed = await pipeline.enrich({ id: 'op-1', subject, action: 'data:create', resource: 'dataset://acme/sales', operation: { name: 'q', args: { query: "1' OR '1'='1" } } });
    expect(computed).toMatchObject({
      cross_tenant_access: false, tenant_verified: true, resource_naming_valid: true, environment: 'unknown',
      contains_sql_injection: true, rollout_percentage: 25, rollout_strict: expect.any(Boolean),
    });
    const documented = new Set(Object.values(ENRICHER_KEYS).flat());
    for (const key of Object.keys(computed)) expect(documented, key).toContain(key);
    expect(pipeline.computedKeys.has('resource_naming_valid')).toBe(true);
  });

  it('computes resource_naming_valid for the configured schemes, and false outside the tenant', async () => {
    const pipeline = createEnrichmentPipeline(['naming'], { security, tenantSchemes: ['dataset', 'graph', 'model', 'vector'] });
    expect(await pipeline.enrich({ subject, action: 'graph:create', resource: 'graph://acme/g' })).toEqual({ resource_naming_valid: true, validation_message: 'OK' });
    expect(await pipeline.enrich({ subject, action: 'data:create', resource: 'vector://acme/v' })).toMatchObject({ resource_naming_valid: true });
    expect(await pipeline.enrich({ subject, action: 'data:create', resource: 'dataset://globex/x' })).toMatchObject({ resource_naming_valid: false });
    expect(await pipeline.enrich({ subject: { identifier: 'no-tenant' }, action: 'data:create', resource: 'dataset://acme/x' })).toMatchObject({ resource_naming_valid: false });
  });

  it('derives the environment from the resource (the seed\'s *production* naming), else the deployment\'s default', async () => {
    const pipeline = createEnrichmentPipeline(['environment'], { security, environment: { ...DEFAULT_ENVIRONMENT, default: 'staging' } });
    expect(await pipeline.enrich({ subject, action: 'a', resource: 'dataset://production/orders' })).toEqual({ environment: 'production' });
    expect(await pipeline.enrich({ subject, action: 'a', resource: 'svc://eu-production-db' })).toEqual({ environment: 'production' });
    expect(await pipeline.enrich({ subject, action: 'a', resource: 'dataset://development/x' })).toEqual({ environment: 'development' });
    expect(await pipeline.enrich({ subject, action: 'a', resource: 'dataset://sales' })).toEqual({ environment: 'staging' });
  });

  it('leaves budget and rollout keys out when there is no ledger or no rollout', async () => {
    const pipeline = createEnrichmentPipeline(['budget', 'rollout'], { security });
    expect(await pipeline.enrich({ subject, action: 'a', resource: 'r', id: 'op' })).toEqual({});
  });

  it('is named in config, validated, with every enricher by default', () => {
    expect(parseConfig({}, { env: {} }).enrichers).toEqual([...DEFAULT_ENRICHERS]);
    expect(parseConfig({ enrichers: ['tenancy', 'security'] }, { env: {} }).enrichers).toEqual(['tenancy', 'security']);
    expect(() => parseConfig({ enrichers: ['tenancy', 'tennancy'] }, { env: {}, source: 'tollgate.yaml' })).toThrow(/tollgate.yaml: enrichers.1: /);
  });
});

describe('claims and facts', () => {
  it('drops a caller\'s trusted and computed keys, and keeps the rest of its context', () => {
    const { context, dropped } = mergeContext({ environment: 'development', contains_sql_injection: false, ticket: 'CHG-1' }, { contains_sql_injection: true }, new Set(['environment']));
    expect(context).toEqual({ ticket: 'CHG-1', contains_sql_injection: true });
    expect(dropped).toEqual(['environment', 'contains_sql_injection']);
  });

  it('keeps a __proto__ key as plain data, never as a prototype', () => {
    const claimed = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    const { context } = mergeContext(claimed, {}, new Set());
    expect(Object.keys(context)).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(context))).toEqual(claimed);
  });

  it('puts the estimate being reserved into the request as a fact', () => {
    const { request } = policyRequestFor({ subject, action: 'a', resource: 'r', context: { estimated_cost: 0 }, estimatedCost: 12 });
    expect(request.context).toEqual({ estimated_cost: 12 });
  });
});
