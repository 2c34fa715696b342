-- Slack messages Tollgate has posted, keyed by an attempt-independent purpose
-- (`<workflow id>:request`, `<workflow id>:escalation:<channel>`, `budget:…`), so a retried
-- activity finds its earlier post instead of posting again. Each message also carries the
-- key in its Slack metadata, which recovers a post whose row was never written.
CREATE TABLE IF NOT EXISTS tollgate_slack_messages (
  key        text        PRIMARY KEY,
  channel    text        NOT NULL,
  ts         text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
