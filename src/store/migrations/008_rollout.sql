-- The rollout percentage in force (src/patterns/rolloutState.ts): `tollgate rollout set 25`
-- writes it, and every running worker reads it within seconds. Without a row, config decides.
CREATE TABLE rollout_state (
  id         BOOLEAN     PRIMARY KEY DEFAULT true CHECK (id),
  percentage NUMERIC     NOT NULL CHECK (percentage >= 0 AND percentage <= 100),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_by TEXT        NOT NULL
);
