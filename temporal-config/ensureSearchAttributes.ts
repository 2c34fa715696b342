import { Client, type Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { InfrastructureUnavailableError } from '../src/errors.js';
import { SEARCH_ATTRIBUTES, TollgateStatus } from '../src/temporal/searchAttributes.js';

const TYPE_NAMES = new Map(
  Object.values(SearchAttributeType).map((type) => [encodeSearchAttributeIndexedValueType(type), type] as const),
);

/**
 * Makes sure every Tollgate search attribute is registered in `namespace` with the right type and
 * that the visibility store answers a query on them.
 *
 * `start-dev --search-attribute` only takes effect when the dev server creates the namespace,
 * i.e. on a fresh db file; it is silently ignored for an existing one. A db file from an older
 * Tollgate would lack attributes added since, so the missing ones are added here.
 * Returns the names that had to be added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const registered = customAttributes ?? {};
  const missing: Record<string, number> = {};
  for (const key of SEARCH_ATTRIBUTES) {
    const wanted = encodeSearchAttributeIndexedValueType(key.type);
    if (wanted === undefined) throw new Error(`no indexed value type for ${key.type}`);
    const actual = registered[key.name];
    if (actual === undefined) {
      missing[key.name] = wanted;
    } else if (actual !== wanted) {
      throw new InfrastructureUnavailableError(
        `search attribute ${key.name} is registered as ${TYPE_NAMES.get(actual) ?? actual} in namespace "${namespace}" ` +
        `but Tollgate needs ${key.type}; start the dev server with a fresh --db-filename`,
      );
    }
  }
  const added = Object.keys(missing);
  if (added.length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  const client = new Client({ connection, namespace });
  for await (const _ of client.workflow.list({ query: `${TollgateStatus.name}="awaiting_approval"`, pageSize: 1 })) break;
  return added;
}
