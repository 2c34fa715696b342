/** The pinned Temporal CLI release that `ensureTemporalCli` builds. */
export declare const TEMPORAL_CLI_VERSION: string;

export interface EnsureTemporalCliOptions {
  /** Progress and warnings, one line each; defaults to stderr. */
  log?: (line: string) => void;
}

/**
 * Path of a usable `temporal` binary: TEMPORAL_CLI_PATH when set, else the pinned v1.5.1 build in
 * `.tollgate/tools/bin`, built with `go install` first when missing. Rejects with one clear message
 * when neither is possible (no Go, TEMPORAL_CLI_PATH missing, build failed).
 */
export declare function ensureTemporalCli(options?: EnsureTemporalCliOptions): Promise<string>;
