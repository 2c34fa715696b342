/**
 * Run the reporting graph against `npm start` (or `tollgate start`) in another terminal:
 *   npx tsx examples/graph/run.ts
 * The summarise node waits for a manager; approve it with the command it prints.
 */
import { GovernanceClient, loadConfig } from '../../src/index.js';
import { runReportGraph } from './reportGraph.js';

const client = await GovernanceClient.connect(loadConfig(process.env.TOLLGATE_CONFIG));
try {
  const state = await runReportGraph({
    client,
    onAwaitingApproval: (node, view) => console.log(`\n${node} is waiting for a manager. In another terminal run:\n  TOLLGATE_TOKEN=<alice's token> npx tollgate approvals approve ${view.id} --note "fine"\n`),
  }, `report-${Date.now().toString(36)}`);
  for (const line of state.log) console.log(line);
  console.log(`published via ${state.published}: ${state.summary}`);
} finally {
  await client.close();
}
