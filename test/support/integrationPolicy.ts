/**
 * One policy for the integration tests: a path per outcome, keyed on the resource each
 * integration derives (`tool://NAME` for agent frameworks, `mcp://SERVER/TOOL` for the gateway).
 */
const TOOL_ACTIONS = ['agent:tool_execute', 'mcp:call'];

export const INTEGRATION_POLICY = {
  name: 'integration-tests',
  rules: [
    {
      name: 'block_sql_injection', description: 'Tool arguments that look like SQL injection', effect: 'deny', actions: TOOL_ACTIONS,
      constraints: [{ key: 'contains_sql_injection', equals: true }], priority: 1,
      metadata: { remedy: 'Pass the search text as plain words, without SQL syntax.' },
    },
    { name: 'block_shell', description: 'Agents may not run shell commands', effect: 'deny', actions: TOOL_ACTIONS, resources: ['tool://shell', 'mcp://*/shell'], priority: 5 },
    { name: 'refunds_need_a_manager', description: 'Refunds move money', effect: 'require_approval', actions: TOOL_ACTIONS, resources: ['tool://refund', 'mcp://*/refund'], metadata: { approvalTimeout: '1h' }, priority: 10 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 20 },
    { name: 'allow_agent_tools', effect: 'allow', actions: TOOL_ACTIONS, priority: 30 },
  ],
};
