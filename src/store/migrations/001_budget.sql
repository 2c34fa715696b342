-- Hierarchical budget ledger. Money is integer micro-units (1 USD = 1 000 000), so sums are
-- exact and never drift the way binary floating point does.

-- Limits set at run time (`tollgate budget set-limit`); they override the config file.
-- A NULL limit means "explicitly unlimited".
CREATE TABLE budget_limits (
  level        TEXT NOT NULL CHECK (level IN ('user', 'team', 'org')),
  entity       TEXT NOT NULL,
  limit_micros BIGINT CHECK (limit_micros >= 0),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (level, entity)
);

-- One row per entity and period: the row reservations lock, so that checking and reserving
-- is atomic across user, team and org.
CREATE TABLE budget_totals (
  level           TEXT NOT NULL CHECK (level IN ('user', 'team', 'org')),
  entity          TEXT NOT NULL,
  period          TEXT NOT NULL,
  spent_micros    BIGINT NOT NULL DEFAULT 0,
  reserved_micros BIGINT NOT NULL DEFAULT 0 CHECK (reserved_micros >= 0),
  PRIMARY KEY (level, entity, period)
);

-- One row per idempotency key (the workflow id). A row released before it was ever
-- reserved is a tombstone (no entities), so a late retried reserve cannot hold budget.
CREATE TABLE budget_reservations (
  key              TEXT PRIMARY KEY,
  state            TEXT NOT NULL CHECK (state IN ('reserved', 'committed', 'released')),
  user_entity      TEXT,
  team_entity      TEXT,
  org_entity       TEXT,
  period           TEXT,
  estimated_micros BIGINT NOT NULL DEFAULT 0 CHECK (estimated_micros >= 0),
  actual_micros    BIGINT CHECK (actual_micros >= 0),
  created_at       TIMESTAMPTZ NOT NULL,
  updated_at       TIMESTAMPTZ NOT NULL,
  CHECK (state = 'released' OR (user_entity IS NOT NULL AND org_entity IS NOT NULL AND period IS NOT NULL))
);
CREATE INDEX budget_reservations_open ON budget_reservations (created_at) WHERE state = 'reserved';

-- Append-only journal of every change to a reservation, for audits and for proving that
-- retries never double-count.
CREATE TABLE budget_entries (
  id            BIGSERIAL PRIMARY KEY,
  key           TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('reserve', 'commit', 'release', 'adjust')),
  amount_micros BIGINT NOT NULL,
  at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX budget_entries_key ON budget_entries (key);

-- Threshold alerts already raised: the primary key is what makes them fire exactly once,
-- whatever the number of workers and retries.
CREATE TABLE budget_alerts (
  level         TEXT NOT NULL CHECK (level IN ('user', 'team', 'org')),
  entity        TEXT NOT NULL,
  period        TEXT NOT NULL,
  threshold_bp  INTEGER NOT NULL CHECK (threshold_bp > 0 AND threshold_bp <= 10000),
  period_kind   TEXT NOT NULL,
  spent_micros  BIGINT NOT NULL,
  limit_micros  BIGINT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  delivered_at  TIMESTAMPTZ,
  PRIMARY KEY (level, entity, period, threshold_bp)
);
