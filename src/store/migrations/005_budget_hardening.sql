-- Budget hardening: commits rechecked against the limits, changes people make journaled with who
-- made them, and the ledger's hot path (reserve, commit, release, adjust) as one statement that
-- applies a whole batch of operations (src/budget/ledger.ts, src/budget/batch.ts).

-- A commit above its reservation whose excess did not fit a limit (budgets.overrun):
-- `overrun_micros` is that excess; `unpaid_micros` the part of it not charged (refuse, or the
-- ledger's maximum per period), until an adjustment settles it.
ALTER TABLE budget_reservations
  ADD COLUMN overrun_micros     BIGINT NOT NULL DEFAULT 0 CHECK (overrun_micros >= 0),
  ADD COLUMN unpaid_micros      BIGINT NOT NULL DEFAULT 0 CHECK (unpaid_micros >= 0),
  ADD COLUMN overrun_alerted_at TIMESTAMPTZ;

-- Who corrected a cost, and what it replaced ({ previous, unpaid, reason }), so that its audit
-- entry can be written again, identical, if the append after the change was lost.
ALTER TABLE budget_entries
  ADD COLUMN actor  TEXT,
  ADD COLUMN detail JSONB;

-- Every change to a run-time limit, for the same reason. Limits are the effective ones before
-- and after (an override, or the config file's when there is none); NULL is unlimited.
CREATE TABLE budget_limit_changes (
  id                  BIGSERIAL PRIMARY KEY,
  level               TEXT        NOT NULL CHECK (level IN ('user', 'team', 'org')),
  entity              TEXT        NOT NULL,
  overridden          BOOLEAN     NOT NULL,
  limit_micros        BIGINT,
  previous_overridden BOOLEAN     NOT NULL,
  previous_micros     BIGINT,
  actor               TEXT        NOT NULL,
  reason              TEXT,
  at                  TIMESTAMPTZ NOT NULL
);
CREATE INDEX budget_limit_changes_entity ON budget_limit_changes (level, entity, id);

-- The limit in force: a run-time override (whose NULL means explicitly unlimited), else the
-- calling process's config file, passed as {"org": n, "team": {id: n}, "user": {id: n}}
-- (micro-units), else none (NULL).
CREATE FUNCTION budget_effective_limit(p_level TEXT, p_entity TEXT, p_config JSONB) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
  SELECT (COALESCE(
    (SELECT ARRAY[l.limit_micros] FROM budget_limits l WHERE l.level = p_level AND l.entity = p_entity),
    ARRAY[CASE WHEN p_level = 'org' THEN CASE WHEN p_entity = 'org' THEN (p_config ->> 'org')::BIGINT END
               ELSE (p_config -> p_level ->> p_entity)::BIGINT END]
  ))[1]
$$;

-- Users, then teams, then the org: the order every writer locks totals rows in. The org's row,
-- which every operation shares, comes last, so each transaction holds it for the shortest time.
CREATE FUNCTION budget_lock_rank(p_level TEXT) RETURNS INT
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE p_level WHEN 'user' THEN 1 WHEN 'team' THEN 2 ELSE 3 END $$;

-- Create the totals rows named (level[i], entity[i], period[i]) if missing, and lock them all in
-- lock order, so that two batches touching the same rows never wait for each other in a cycle.
CREATE FUNCTION budget_lock_totals(p_level TEXT[], p_entity TEXT[], p_period TEXT[]) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO budget_totals (level, entity, period)
  SELECT t.level, t.entity, t.period
    FROM (SELECT DISTINCT * FROM unnest(p_level, p_entity, p_period)) AS t(level, entity, period)
   ORDER BY budget_lock_rank(t.level), t.entity, t.period
  ON CONFLICT DO NOTHING;
  PERFORM 1 FROM budget_totals b
   WHERE (b.level, b.entity, b.period) IN (SELECT * FROM unnest(p_level, p_entity, p_period))
   ORDER BY budget_lock_rank(b.level), b.entity, b.period
     FOR UPDATE;
END;
$$;

-- Add to the user's, the team's (if any) and the org's totals of a period.
CREATE FUNCTION budget_add_totals(p_user TEXT, p_team TEXT, p_period TEXT, p_spent BIGINT, p_reserved BIGINT) RETURNS VOID
LANGUAGE sql AS $$
  UPDATE budget_totals
     SET spent_micros = spent_micros + p_spent, reserved_micros = reserved_micros + p_reserved
   WHERE period = p_period
     AND ((level = 'user' AND entity = p_user) OR (level = 'team' AND entity = p_team) OR (level = 'org' AND entity = 'org'))
$$;

-- The user's, team's and org's totals of a period with their limits, users first.
CREATE FUNCTION budget_snapshot(p_user TEXT, p_team TEXT, p_period TEXT, p_config JSONB,
  OUT levels TEXT[], OUT entities TEXT[], OUT spent BIGINT[], OUT reserved BIGINT[], OUT limits BIGINT[])
LANGUAGE sql STABLE AS $$
  SELECT array_agg(b.level ORDER BY budget_lock_rank(b.level)), array_agg(b.entity ORDER BY budget_lock_rank(b.level)),
         array_agg(b.spent_micros ORDER BY budget_lock_rank(b.level)), array_agg(b.reserved_micros ORDER BY budget_lock_rank(b.level)),
         array_agg(budget_effective_limit(b.level, b.entity, p_config) ORDER BY budget_lock_rank(b.level))
    FROM budget_totals b
   WHERE b.period = p_period
     AND ((b.level = 'user' AND b.entity = p_user) OR (b.level = 'team' AND b.entity = p_team) OR (b.level = 'org' AND b.entity = 'org'))
$$;

-- Apply a batch of ledger operations in order, in one transaction: op i is p_kind[i] on key
-- p_key[i] at p_at[i] ('reserve' with p_user/p_team/p_period and the estimate in p_amount;
-- 'commit' and 'adjust' with the actual cost in p_amount, 'adjust' with p_actor and p_reason;
-- 'release'). Each op sees the totals its predecessors left, so a batch grants exactly what the
-- same operations one by one would. Amounts are micro-units; no level may hold more than
-- p_ceiling (spent and reserved) in a period, whatever its limit. One row per op:
--   reserve: created | existing | exceeded (o_failed: the first level, org first, it did not fit)
--   commit:  committed | existing | not_found | released
--   release: released | tombstone | unchanged
--   adjust:  adjusted | unchanged | not_found | reserved | released | exceeded (the ceiling);
--            o_entry is the journal id of the adjustment (for unchanged: the last one, if any)
-- Commits, adjusts and refusals also return the levels after the op (o_levels ...).
CREATE FUNCTION budget_apply(
  p_kind TEXT[], p_key TEXT[], p_user TEXT[], p_team TEXT[], p_period TEXT[], p_amount BIGINT[], p_at TIMESTAMPTZ[],
  p_actor TEXT[], p_reason TEXT[], p_config JSONB, p_refuse_overrun BOOLEAN, p_ceiling BIGINT
) RETURNS TABLE (
  o_op INT, o_outcome TEXT, o_entry BIGINT, o_failed TEXT,
  o_key TEXT, o_state TEXT, o_user TEXT, o_team TEXT, o_period TEXT,
  o_estimated BIGINT, o_actual BIGINT, o_overrun BIGINT, o_unpaid BIGINT, o_alerted_at TIMESTAMPTZ,
  o_created_at TIMESTAMPTZ, o_updated_at TIMESTAMPTZ,
  o_levels TEXT[], o_entities TEXT[], o_spent BIGINT[], o_reserved BIGINT[], o_limits BIGINT[]
)
LANGUAGE plpgsql AS $$
DECLARE
  r budget_reservations%ROWTYPE;
  t_level TEXT[];
  t_entity TEXT[];
  t_period TEXT[];
  v_excess BIGINT;
  v_charge BIGINT;
  v_unpaid BIGINT;
  v_overrun BIGINT;
  v_fits_limits BOOLEAN;
  v_fits_ceiling BOOLEAN;
BEGIN
  -- Every totals row the batch will change: those of new reservations, and those of the
  -- existing reservations it commits, releases or adjusts (their entities never change).
  SELECT array_agg(w.level), array_agg(w.entity), array_agg(w.period) INTO t_level, t_entity, t_period
    FROM (
      SELECT x.level, x.entity, o.period
        FROM unnest(p_kind, p_user, p_team, p_period) AS o(kind, usr, team, period)
       CROSS JOIN LATERAL (VALUES ('user', o.usr), ('team', o.team), ('org', 'org')) AS x(level, entity)
       WHERE o.kind = 'reserve' AND x.entity IS NOT NULL
      UNION
      SELECT x.level, x.entity, b.period
        FROM budget_reservations b
       CROSS JOIN LATERAL (VALUES ('user', b.user_entity), ('team', b.team_entity), ('org', 'org')) AS x(level, entity)
       WHERE b.key = ANY (p_key) AND b.state <> 'released' AND x.entity IS NOT NULL
    ) w;
  IF t_level IS NOT NULL THEN
    PERFORM budget_lock_totals(t_level, t_entity, t_period);
  END IF;

  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    r := NULL;
    o_op := i;
    o_outcome := NULL;
    o_entry := NULL;
    o_failed := NULL;
    o_levels := NULL; o_entities := NULL; o_spent := NULL; o_reserved := NULL; o_limits := NULL;

    IF p_kind[i] = 'reserve' THEN
      -- Check before adding: a refusal then leaves nothing to undo.
      SELECT b.level INTO o_failed
        FROM budget_totals b
       WHERE b.period = p_period[i]
         AND ((b.level = 'user' AND b.entity = p_user[i]) OR (b.level = 'team' AND b.entity = p_team[i]) OR (b.level = 'org' AND b.entity = 'org'))
         AND b.spent_micros::NUMERIC + b.reserved_micros + p_amount[i] > LEAST(budget_effective_limit(b.level, b.entity, p_config), p_ceiling)
       ORDER BY budget_lock_rank(b.level) DESC
       LIMIT 1;
      IF o_failed IS NULL THEN
        INSERT INTO budget_reservations (key, state, user_entity, team_entity, org_entity, period, estimated_micros, created_at, updated_at)
        VALUES (p_key[i], 'reserved', p_user[i], p_team[i], 'org', p_period[i], p_amount[i], p_at[i], p_at[i])
        ON CONFLICT (key) DO NOTHING
        RETURNING * INTO r;
        IF FOUND THEN
          PERFORM budget_add_totals(p_user[i], p_team[i], p_period[i], 0, p_amount[i]);
          INSERT INTO budget_entries (key, kind, amount_micros, at) VALUES (p_key[i], 'reserve', p_amount[i], p_at[i]);
          o_outcome := 'created';
        END IF;
      END IF;
      IF o_outcome IS NULL THEN
        -- A key seen before keeps its reservation (or tombstone), whatever the budgets say now.
        SELECT * INTO r FROM budget_reservations WHERE key = p_key[i];
        IF FOUND THEN
          o_outcome := 'existing';
          o_failed := NULL;
        ELSE
          o_outcome := 'exceeded';
          SELECT * INTO o_levels, o_entities, o_spent, o_reserved, o_limits FROM budget_snapshot(p_user[i], p_team[i], p_period[i], p_config);
        END IF;
      END IF;

    ELSIF p_kind[i] = 'commit' THEN
      SELECT * INTO r FROM budget_reservations WHERE key = p_key[i] FOR UPDATE;
      IF NOT FOUND THEN
        o_outcome := 'not_found';
      ELSIF r.state = 'released' THEN
        o_outcome := 'released';
      ELSIF r.state = 'committed' THEN
        o_outcome := 'existing';
      ELSE
        v_excess := p_amount[i] - r.estimated_micros;
        v_charge := p_amount[i];
        v_unpaid := 0;
        v_overrun := 0;
        IF v_excess > 0 THEN
          -- The estimate is held already; only the difference needs room.
          SELECT coalesce(bool_and(b.spent_micros::NUMERIC + b.reserved_micros + v_excess <= LEAST(budget_effective_limit(b.level, b.entity, p_config), p_ceiling)), true),
                 coalesce(bool_and(b.spent_micros::NUMERIC + b.reserved_micros + v_excess <= p_ceiling), true)
            INTO v_fits_limits, v_fits_ceiling
            FROM budget_totals b
           WHERE b.period = r.period
             AND ((b.level = 'user' AND b.entity = r.user_entity) OR (b.level = 'team' AND b.entity = r.team_entity) OR (b.level = 'org' AND b.entity = 'org'));
          IF NOT v_fits_limits THEN
            v_overrun := v_excess;
            -- Past the ceiling nothing more is charged, whatever budgets.overrun says.
            IF p_refuse_overrun OR NOT v_fits_ceiling THEN
              v_charge := r.estimated_micros;
              v_unpaid := v_excess;
            END IF;
          END IF;
        END IF;
        UPDATE budget_reservations
           SET state = 'committed', actual_micros = v_charge, overrun_micros = v_overrun, unpaid_micros = v_unpaid, updated_at = p_at[i]
         WHERE key = p_key[i]
        RETURNING * INTO r;
        PERFORM budget_add_totals(r.user_entity, r.team_entity, r.period, v_charge, -r.estimated_micros);
        INSERT INTO budget_entries (key, kind, amount_micros, at) VALUES (p_key[i], 'commit', v_charge, p_at[i]);
        o_outcome := 'committed';
      END IF;
      IF r.period IS NOT NULL AND r.state = 'committed' THEN
        SELECT * INTO o_levels, o_entities, o_spent, o_reserved, o_limits FROM budget_snapshot(r.user_entity, r.team_entity, r.period, p_config);
      END IF;

    ELSIF p_kind[i] = 'release' THEN
      UPDATE budget_reservations SET state = 'released', updated_at = p_at[i] WHERE key = p_key[i] AND state = 'reserved' RETURNING * INTO r;
      IF NOT FOUND THEN
        -- Never reserved: leave a tombstone, so that a reserve retried after this compensation holds nothing.
        INSERT INTO budget_reservations (key, state, created_at, updated_at) VALUES (p_key[i], 'released', p_at[i], p_at[i])
        ON CONFLICT (key) DO NOTHING
        RETURNING * INTO r;
        IF FOUND THEN
          INSERT INTO budget_entries (key, kind, amount_micros, at) VALUES (p_key[i], 'release', 0, p_at[i]);
          o_outcome := 'tombstone';
        ELSE
          -- The key exists: settled already, or reserved by a transaction that committed after the first look.
          UPDATE budget_reservations SET state = 'released', updated_at = p_at[i] WHERE key = p_key[i] AND state = 'reserved' RETURNING * INTO r;
          IF NOT FOUND THEN
            SELECT * INTO r FROM budget_reservations WHERE key = p_key[i];
            o_outcome := 'unchanged';
          END IF;
        END IF;
      END IF;
      IF o_outcome IS NULL THEN
        PERFORM budget_add_totals(r.user_entity, r.team_entity, r.period, 0, -r.estimated_micros);
        INSERT INTO budget_entries (key, kind, amount_micros, at) VALUES (p_key[i], 'release', r.estimated_micros, p_at[i]);
        o_outcome := 'released';
      END IF;

    ELSIF p_kind[i] = 'adjust' THEN
      SELECT * INTO r FROM budget_reservations WHERE key = p_key[i] FOR UPDATE;
      IF NOT FOUND THEN
        o_outcome := 'not_found';
      ELSIF r.state <> 'committed' THEN
        o_outcome := r.state;
      ELSIF p_amount[i] = r.actual_micros AND r.unpaid_micros = 0 THEN
        -- Nothing to change (or a retry): hand back the last adjustment, for its audit entry.
        SELECT e.id INTO o_entry FROM budget_entries e WHERE e.key = p_key[i] AND e.kind = 'adjust' ORDER BY e.id DESC LIMIT 1;
        o_outcome := 'unchanged';
      ELSE
        -- A person's correction is not held to the limits (the money is spent), only to the ceiling.
        IF p_amount[i] > r.actual_micros THEN
          SELECT b.level INTO o_failed
            FROM budget_totals b
           WHERE b.period = r.period
             AND ((b.level = 'user' AND b.entity = r.user_entity) OR (b.level = 'team' AND b.entity = r.team_entity) OR (b.level = 'org' AND b.entity = 'org'))
             AND b.spent_micros::NUMERIC + b.reserved_micros + (p_amount[i] - r.actual_micros) > p_ceiling
           ORDER BY budget_lock_rank(b.level) DESC
           LIMIT 1;
        END IF;
        IF o_failed IS NOT NULL THEN
          o_outcome := 'exceeded';
        ELSE
          INSERT INTO budget_entries (key, kind, amount_micros, at, actor, detail)
          VALUES (p_key[i], 'adjust', p_amount[i] - r.actual_micros, p_at[i], p_actor[i],
                  jsonb_build_object('previous', r.actual_micros, 'unpaid', r.unpaid_micros, 'reason', p_reason[i]))
          RETURNING id INTO o_entry;
          PERFORM budget_add_totals(r.user_entity, r.team_entity, r.period, p_amount[i] - r.actual_micros, 0);
          UPDATE budget_reservations SET actual_micros = p_amount[i], unpaid_micros = 0, updated_at = p_at[i] WHERE key = p_key[i] RETURNING * INTO r;
          o_outcome := 'adjusted';
        END IF;
      END IF;
      IF r.period IS NOT NULL AND r.state = 'committed' THEN
        SELECT * INTO o_levels, o_entities, o_spent, o_reserved, o_limits FROM budget_snapshot(r.user_entity, r.team_entity, r.period, p_config);
      END IF;

    ELSE
      RAISE EXCEPTION 'budget_apply: unknown operation "%"', p_kind[i] USING ERRCODE = 'invalid_parameter_value';
    END IF;

    o_key := coalesce(r.key, p_key[i]);
    o_state := r.state;
    o_user := r.user_entity;
    o_team := r.team_entity;
    o_period := r.period;
    o_estimated := r.estimated_micros;
    o_actual := r.actual_micros;
    o_overrun := r.overrun_micros;
    o_unpaid := r.unpaid_micros;
    o_alerted_at := r.overrun_alerted_at;
    o_created_at := r.created_at;
    o_updated_at := r.updated_at;
    RETURN NEXT;
  END LOOP;
END;
$$;

-- Set (p_override) or clear a run-time limit, journaled with who did it, in one statement.
-- Changes to one entity's limit queue on an advisory lock, so each records the limit it replaced.
-- Returns the change and whether this call made it: when the limit is already as asked, the
-- change that made it so (if it is the last one), so its audit entry can be written again.
CREATE FUNCTION budget_set_limit(
  p_level TEXT, p_entity TEXT, p_override BOOLEAN, p_limit BIGINT, p_config JSONB, p_actor TEXT, p_reason TEXT, p_at TIMESTAMPTZ
) RETURNS TABLE (
  changed BOOLEAN, id BIGINT, level TEXT, entity TEXT, overridden BOOLEAN, limit_micros BIGINT,
  previous_overridden BOOLEAN, previous_micros BIGINT, actor TEXT, reason TEXT, at TIMESTAMPTZ
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_had BOOLEAN;
  v_was BIGINT;
  v_previous BIGINT;
  v_change BIGINT;
  v_changed BOOLEAN := true;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('tollgate budget limit ' || p_level || ' ' || p_entity));
  v_previous := budget_effective_limit(p_level, p_entity, p_config);
  SELECT true, l.limit_micros INTO v_had, v_was FROM budget_limits l WHERE l.level = p_level AND l.entity = p_entity;
  v_had := coalesce(v_had, false);
  IF (p_override AND v_had AND v_was IS NOT DISTINCT FROM p_limit) OR (NOT p_override AND NOT v_had) THEN
    v_changed := false;
    SELECT c.id INTO v_change FROM budget_limit_changes c WHERE c.level = p_level AND c.entity = p_entity ORDER BY c.id DESC LIMIT 1;
    IF NOT FOUND OR NOT EXISTS (
      SELECT 1 FROM budget_limit_changes c
       WHERE c.id = v_change AND c.overridden = p_override AND (NOT p_override OR c.limit_micros IS NOT DISTINCT FROM p_limit)
    ) THEN
      v_change := NULL;
    END IF;
  ELSE
    IF p_override THEN
      INSERT INTO budget_limits AS l (level, entity, limit_micros, updated_at) VALUES (p_level, p_entity, p_limit, p_at)
      ON CONFLICT (level, entity) DO UPDATE SET limit_micros = EXCLUDED.limit_micros, updated_at = EXCLUDED.updated_at;
    ELSE
      DELETE FROM budget_limits l WHERE l.level = p_level AND l.entity = p_entity;
    END IF;
    INSERT INTO budget_limit_changes AS c (level, entity, overridden, limit_micros, previous_overridden, previous_micros, actor, reason, at)
    VALUES (p_level, p_entity, p_override, budget_effective_limit(p_level, p_entity, p_config), v_had, v_previous, p_actor, p_reason, p_at)
    RETURNING c.id INTO v_change;
  END IF;
  RETURN QUERY
    SELECT v_changed, c.id, c.level, c.entity, c.overridden, c.limit_micros, c.previous_overridden, c.previous_micros, c.actor, c.reason, c.at
      FROM (SELECT 1) one LEFT JOIN budget_limit_changes c ON c.id = v_change;
END;
$$;
