import type { IncomingMessage, ServerResponse } from 'node:http';

/** One dependency's state: what /healthz reports and why it is down. */
export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

export interface HealthProbes {
  worker(): HealthCheck;
  database(): Promise<HealthCheck>;
  temporal(): Promise<HealthCheck>;
  /** The policy sets in force and their versions. */
  policy(): HealthCheck & { sets?: Array<{ role: string; name: string; version: string }> };
}

const PROBE_TIMEOUT_MS = 3_000;

async function withTimeout(what: string, probe: () => Promise<HealthCheck>): Promise<HealthCheck> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      probe().catch((error: Error) => ({ ok: false, detail: error.message.split('\n')[0] })),
      new Promise<HealthCheck>((resolve) => { timer = setTimeout(() => resolve({ ok: false, detail: `${what} did not answer within ${PROBE_TIMEOUT_MS} ms` }), PROBE_TIMEOUT_MS); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ask every dependency now; a health endpoint that answers from memory hides outages. */
export async function checkHealth(probes: HealthProbes) {
  const [database, temporal] = await Promise.all([withTimeout('the database', probes.database), withTimeout('Temporal', probes.temporal)]);
  const checks = { worker: probes.worker(), database, temporal, policy: probes.policy() };
  const down = Object.entries(checks).filter(([, check]) => !check.ok).map(([name, check]) => `${name}: ${check.detail ?? 'down'}`);
  return { ok: down.length === 0, checks, reason: down.join('; ') };
}

/** GET /healthz: 200 when the worker polls and the database, Temporal and the policy answer; 503 with the reason otherwise. */
export function healthHandler(probes: HealthProbes) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    void checkHealth(probes).then((health) => {
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: health.ok ? 'ok' : 'unavailable', ...(health.ok ? {} : { reason: health.reason }), ...health.checks }));
    });
  };
}
