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

/** The go.temporal.io/server release that `ensureTemporalServer` builds: the one cli v1.5.1 embeds. */
export declare const TEMPORAL_SERVER_VERSION: string;

export interface TemporalServerInstall {
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql). */
  sqlTool: string;
  /** The server module's `schema/` folder (postgresql/v12/temporal and …/visibility within). */
  schemaDir: string;
  version: string;
}

/**
 * A real Temporal server and its SQL schema tool in `.tollgate/tools/bin`, built with `go install`
 * from the Go module proxy at TEMPORAL_SERVER_VERSION when missing (same lock as the CLI build).
 */
export declare function ensureTemporalServer(options?: EnsureTemporalCliOptions): Promise<TemporalServerInstall>;
