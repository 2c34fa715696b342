/** Exit codes from DESIGN.md (in a module of their own: `tollgate --version` loads nothing else). */
export const EXIT = { ok: 0, outcome: 1, badInput: 2, unreachable: 3 } as const;
