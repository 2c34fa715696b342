/**
 * A tiny graph runner: nodes return the name of the next node. Real graph frameworks add
 * branching, parallelism and state stores; what matters here is that each node asks Tollgate
 * before it acts, exactly as an agent tool or a model call would.
 */
export interface GraphNode<State> {
  run(state: State): Promise<string | null>;
}

export async function runGraph<State>(nodes: Record<string, GraphNode<State>>, start: string, state: State, onStep?: (node: string) => void): Promise<State> {
  let current: string | null = start;
  const visited: string[] = [];
  while (current) {
    const node: GraphNode<State> | undefined = nodes[current];
    if (!node) throw new Error(`graph has no node "${current}"`);
    if (visited.length > 100) throw new Error(`graph did not finish after 100 steps: ${visited.slice(-5).join(' → ')}`);
    visited.push(current);
    onStep?.(current);
    current = await node.run(state);
  }
  return state;
}
