/** The log formats (apart from the logger, so the CLI can offer them without loading pino). */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
