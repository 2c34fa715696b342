-- Signed Slack requests already handled, shared by every receiver on this database, so a
-- request replayed to another worker is refused there too (src/slack/replayGuard.ts). Rows live
-- only as long as Slack's five-minute timestamp window.
CREATE TABLE slack_request_replays (
  key        TEXT        PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX slack_request_replays_expires_at ON slack_request_replays (expires_at);
