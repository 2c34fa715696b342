import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HealthState {
  worker: boolean;
  database: boolean;
}

/** GET /healthz: 200 once the worker polls its task queue, 503 with what is missing before that. */
export function healthHandler(state: () => HealthState) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    const current = state();
    const ok = current.worker && current.database;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'starting', ...current }));
  };
}
