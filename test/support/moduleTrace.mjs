// Loaded with `node --import`: records every package a process resolves (its bare specifier's
// package name) in the file named by TOLLGATE_MODULE_TRACE, one per line, so a test can tell
// which dependencies a CLI command really loads.
import { register } from 'node:module';

register(new URL('./moduleTraceHooks.mjs', import.meta.url), { data: { file: process.env.TOLLGATE_MODULE_TRACE } });
