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
--
-- plpgsql, not SQL, on purpose: plpgsql keeps each statement's plan for the session, where a
-- SQL function that is not inlined is planned again on every call.
CREATE FUNCTION budget_effective_limit(p_level TEXT, p_entity TEXT, p_config JSONB) RETURNS BIGINT
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_limit BIGINT;
BEGIN
  SELECT l.limit_micros INTO v_limit FROM budget_limits l WHERE l.level = p_level AND l.entity = p_entity;
  IF FOUND THEN
    RETURN v_limit;
  END IF;
  IF p_level = 'org' THEN
    RETURN CASE WHEN p_entity = 'org' THEN (p_config ->> 'org')::BIGINT END;
  END IF;
  RETURN (p_config -> p_level ->> p_entity)::BIGINT;
END;
$$;

-- Users, then teams, then the org: the order every writer locks totals rows in. The org's row,
-- which every operation shares, comes last, so each transaction holds it for the shortest time.
CREATE FUNCTION budget_lock_rank(p_level TEXT) RETURNS INT
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE p_level WHEN 'user' THEN 1 WHEN 'team' THEN 2 ELSE 3 END $$;

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
--
-- The totals rows are locked and read once, changed in memory, and written back once at the
-- end, as is the journal: per op, only its reservation row is a statement of its own. Most
-- statements are primary-key lookups on scalars, whose plans the session keeps.
--
-- Batches do not deadlock each other: each locks all its totals rows first, in lock order, and
-- only then reservation rows, one per op.
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
  w RECORD;
  -- The locked totals rows, by 'level:period:entity' (neither level nor period holds a colon).
  t_id TEXT[] := '{}';
  t_level TEXT[] := '{}';
  t_entity TEXT[] := '{}';
  t_period TEXT[] := '{}';
  t_spent BIGINT[] := '{}';
  t_reserved BIGINT[] := '{}';
  t_limit BIGINT[] := '{}';
  t_changed BOOLEAN[] := '{}';
  -- Journal entries to append.
  e_id BIGINT[] := '{}';
  e_key TEXT[] := '{}';
  e_kind TEXT[] := '{}';
  e_amount BIGINT[] := '{}';
  e_at TIMESTAMPTZ[] := '{}';
  e_actor TEXT[] := '{}';
  e_detail JSONB[] := '{}';
  w_level TEXT[] := '{}';
  w_entity TEXT[] := '{}';
  w_period TEXT[] := '{}';
  v_spent BIGINT;
  v_reserved BIGINT;
  v_limit BIGINT;
  v_overridden BOOLEAN;
  v_user TEXT;
  v_team TEXT;
  v_period TEXT;
  v_rows INT[];
  v_tombstone BOOLEAN;
  v_entry BIGINT;
  v_delta BIGINT;
  v_excess BIGINT;
  v_charge BIGINT;
  v_unpaid BIGINT;
  v_overrun BIGINT;
  v_fits_limits BOOLEAN;
  v_fits_ceiling BOOLEAN;
  k INT;
BEGIN
  -- Every totals row the batch will change, locked up front in lock order: those of new
  -- reservations, and those of the reservations it commits, releases or adjusts.
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    IF p_kind[i] = 'reserve' THEN
      w_level := w_level || ARRAY['user', 'org']; w_entity := w_entity || ARRAY[p_user[i], 'org']; w_period := w_period || ARRAY[p_period[i], p_period[i]];
      IF p_team[i] IS NOT NULL THEN
        w_level := w_level || 'team'::TEXT; w_entity := w_entity || p_team[i]; w_period := w_period || p_period[i];
      END IF;
    END IF;
  END LOOP;
  -- The user's, team's and org's rows of the reservations the batch commits, releases or adjusts
  -- (one primary-key lookup each: its plan is kept for the session, where a statement over the
  -- arrays would be planned again on every call).
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    CONTINUE WHEN p_kind[i] = 'reserve';
    SELECT b.user_entity, b.team_entity, b.period INTO v_user, v_team, v_period
      FROM budget_reservations b WHERE b.key = p_key[i] AND b.state <> 'released';
    CONTINUE WHEN NOT FOUND OR v_user IS NULL;
    w_level := w_level || ARRAY['user', 'org']; w_entity := w_entity || ARRAY[v_user, 'org']; w_period := w_period || ARRAY[v_period, v_period];
    IF v_team IS NOT NULL THEN
      w_level := w_level || 'team'::TEXT; w_entity := w_entity || v_team; w_period := w_period || v_period;
    END IF;
  END LOOP;
  -- Lock them in lock order, creating those missing, and read them with their limits: a
  -- run-time override (NULL: explicitly unlimited), else the config file's (as budget_effective_limit).
  FOR w IN SELECT DISTINCT u.level, u.entity, u.period, budget_lock_rank(u.level) AS rank
             FROM unnest(w_level, w_entity, w_period) AS u(level, entity, period)
            ORDER BY rank, u.entity, u.period
  LOOP
    FOR attempt IN 1 .. 2 LOOP
      SELECT b.spent_micros, b.reserved_micros, l.level IS NOT NULL, l.limit_micros INTO v_spent, v_reserved, v_overridden, v_limit
        FROM budget_totals b LEFT JOIN budget_limits l ON l.level = b.level AND l.entity = b.entity
       WHERE b.level = w.level AND b.entity = w.entity AND b.period = w.period
         FOR UPDATE OF b;
      EXIT WHEN FOUND;
      INSERT INTO budget_totals (level, entity, period) VALUES (w.level, w.entity, w.period) ON CONFLICT DO NOTHING;
    END LOOP;
    IF NOT v_overridden THEN
      v_limit := CASE WHEN w.level = 'org' THEN (p_config ->> 'org')::BIGINT ELSE (p_config -> w.level ->> w.entity)::BIGINT END;
    END IF;
    t_id := t_id || (w.level || ':' || w.period || ':' || w.entity);
    t_level := t_level || w.level; t_entity := t_entity || w.entity; t_period := t_period || w.period;
    t_spent := t_spent || v_spent; t_reserved := t_reserved || v_reserved; t_limit := t_limit || v_limit; t_changed := t_changed || false;
  END LOOP;

  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    r := NULL;
    o_op := i;
    o_outcome := NULL;
    o_entry := NULL;
    o_failed := NULL;
    o_levels := NULL; o_entities := NULL; o_spent := NULL; o_reserved := NULL; o_limits := NULL;
    v_rows := NULL;
    v_tombstone := false;

    -- 1. The reservation as it stands, locked; for a release of a key never reserved, a
    --    tombstone, so that a reserve retried after this compensation holds nothing.
    IF p_kind[i] <> 'reserve' THEN
      SELECT * INTO r FROM budget_reservations WHERE key = p_key[i] FOR UPDATE;
      IF NOT FOUND AND p_kind[i] = 'release' THEN
        INSERT INTO budget_reservations (key, state, created_at, updated_at) VALUES (p_key[i], 'released', p_at[i], p_at[i])
        ON CONFLICT (key) DO NOTHING
        RETURNING * INTO r;
        IF FOUND THEN
          v_tombstone := true;
        ELSE
          -- Reserved by a transaction that committed after the first look.
          SELECT * INTO r FROM budget_reservations WHERE key = p_key[i] FOR UPDATE;
        END IF;
      END IF;
    END IF;

    -- 2. Its totals rows in the arrays (user, team if any, org). A reservation another
    --    transaction made after the batch began has rows that were not locked up front: the
    --    batch runs again (the ledger retries serialization failures), and locks them then.
    IF p_kind[i] = 'reserve' THEN
      v_user := p_user[i]; v_team := p_team[i]; v_period := p_period[i];
    ELSIF r.state <> 'released' THEN
      v_user := r.user_entity; v_team := r.team_entity; v_period := r.period;
    ELSE
      v_user := NULL;
    END IF;
    IF v_user IS NOT NULL AND v_period IS NOT NULL THEN
      v_rows := ARRAY[array_position(t_id, 'user:' || v_period || ':' || v_user),
                      CASE WHEN v_team IS NOT NULL THEN array_position(t_id, 'team:' || v_period || ':' || v_team) END,
                      array_position(t_id, 'org:' || v_period || ':org')];
      IF v_rows[1] IS NULL OR v_rows[3] IS NULL OR (v_team IS NOT NULL AND v_rows[2] IS NULL) THEN
        RAISE EXCEPTION 'budget_apply: reservation % appeared while the batch ran; run the batch again', p_key[i]
          USING ERRCODE = 'serialization_failure';
      END IF;
      v_rows := array_remove(v_rows, NULL);
    END IF;

    -- 3. The operation.
    IF p_kind[i] = 'reserve' THEN
      -- Check before adding, the broadest level first: a refusal leaves nothing to undo.
      FOR j IN REVERSE array_length(v_rows, 1) .. 1 LOOP
        k := v_rows[j];
        IF t_spent[k]::NUMERIC + t_reserved[k] + p_amount[i] > LEAST(t_limit[k], p_ceiling) THEN
          o_failed := t_level[k];
          EXIT;
        END IF;
      END LOOP;
      IF o_failed IS NULL THEN
        INSERT INTO budget_reservations (key, state, user_entity, team_entity, org_entity, period, estimated_micros, created_at, updated_at)
        VALUES (p_key[i], 'reserved', p_user[i], p_team[i], 'org', p_period[i], p_amount[i], p_at[i], p_at[i])
        ON CONFLICT (key) DO NOTHING
        RETURNING * INTO r;
        IF FOUND THEN
          FOREACH k IN ARRAY v_rows LOOP
            t_reserved[k] := t_reserved[k] + p_amount[i];
            t_changed[k] := true;
          END LOOP;
          e_id := e_id || nextval('budget_entries_id_seq'); e_key := e_key || p_key[i]; e_kind := e_kind || 'reserve'::TEXT;
          e_amount := e_amount || p_amount[i]; e_at := e_at || p_at[i]; e_actor := e_actor || NULL::TEXT; e_detail := e_detail || NULL::JSONB;
          o_outcome := 'created';
        END IF;
      END IF;
      IF o_outcome IS NULL THEN
        -- A key seen before keeps its reservation (or tombstone), whatever the budgets say now.
        SELECT * INTO r FROM budget_reservations WHERE key = p_key[i];
        IF FOUND THEN
          o_outcome := 'existing';
          o_failed := NULL;
          v_rows := NULL;
        ELSE
          o_outcome := 'exceeded';
        END IF;
      ELSE
        v_rows := NULL;
      END IF;

    ELSIF p_kind[i] = 'commit' THEN
      IF r.key IS NULL THEN
        o_outcome := 'not_found';
      ELSIF r.state = 'released' THEN
        o_outcome := 'released';
        v_rows := NULL;
      ELSIF r.state = 'committed' THEN
        o_outcome := 'existing';
      ELSE
        v_excess := p_amount[i] - r.estimated_micros;
        v_charge := p_amount[i];
        v_unpaid := 0;
        v_overrun := 0;
        IF v_excess > 0 THEN
          -- The estimate is held already; only the difference needs room.
          v_fits_limits := true;
          v_fits_ceiling := true;
          FOREACH k IN ARRAY v_rows LOOP
            v_fits_limits := v_fits_limits AND t_spent[k]::NUMERIC + t_reserved[k] + v_excess <= LEAST(t_limit[k], p_ceiling);
            v_fits_ceiling := v_fits_ceiling AND t_spent[k]::NUMERIC + t_reserved[k] + v_excess <= p_ceiling;
          END LOOP;
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
        FOREACH k IN ARRAY v_rows LOOP
          t_spent[k] := t_spent[k] + v_charge;
          t_reserved[k] := t_reserved[k] - r.estimated_micros;
          t_changed[k] := true;
        END LOOP;
        e_id := e_id || nextval('budget_entries_id_seq'); e_key := e_key || p_key[i]; e_kind := e_kind || 'commit'::TEXT;
        e_amount := e_amount || v_charge; e_at := e_at || p_at[i]; e_actor := e_actor || NULL::TEXT; e_detail := e_detail || NULL::JSONB;
        o_outcome := 'committed';
      END IF;

    ELSIF p_kind[i] = 'release' THEN
      IF v_tombstone THEN
        e_id := e_id || nextval('budget_entries_id_seq'); e_key := e_key || p_key[i]; e_kind := e_kind || 'release'::TEXT;
        e_amount := e_amount || 0::BIGINT; e_at := e_at || p_at[i]; e_actor := e_actor || NULL::TEXT; e_detail := e_detail || NULL::JSONB;
        o_outcome := 'tombstone';
      ELSIF r.state = 'reserved' THEN
        UPDATE budget_reservations SET state = 'released', updated_at = p_at[i] WHERE key = p_key[i] RETURNING * INTO r;
        FOREACH k IN ARRAY v_rows LOOP
          t_reserved[k] := t_reserved[k] - r.estimated_micros;
          t_changed[k] := true;
        END LOOP;
        e_id := e_id || nextval('budget_entries_id_seq'); e_key := e_key || p_key[i]; e_kind := e_kind || 'release'::TEXT;
        e_amount := e_amount || r.estimated_micros; e_at := e_at || p_at[i]; e_actor := e_actor || NULL::TEXT; e_detail := e_detail || NULL::JSONB;
        o_outcome := 'released';
      ELSE
        o_outcome := 'unchanged';
      END IF;
      v_rows := NULL;

    ELSIF p_kind[i] = 'adjust' THEN
      IF r.key IS NULL THEN
        o_outcome := 'not_found';
      ELSIF r.state <> 'committed' THEN
        o_outcome := r.state;
        v_rows := NULL;
      ELSIF p_amount[i] = r.actual_micros AND r.unpaid_micros = 0 THEN
        -- Nothing to change (or a retry): hand back the last adjustment, for its audit entry.
        FOR j IN REVERSE coalesce(array_length(e_id, 1), 0) .. 1 LOOP
          IF e_key[j] = p_key[i] AND e_kind[j] = 'adjust' THEN
            o_entry := e_id[j];
            EXIT;
          END IF;
        END LOOP;
        IF o_entry IS NULL THEN
          SELECT e.id INTO o_entry FROM budget_entries e WHERE e.key = p_key[i] AND e.kind = 'adjust' ORDER BY e.id DESC LIMIT 1;
        END IF;
        o_outcome := 'unchanged';
      ELSE
        v_delta := p_amount[i] - r.actual_micros;
        -- A person's correction is not held to the limits (the money is spent), only to the ceiling.
        IF v_delta > 0 THEN
          FOR j IN REVERSE array_length(v_rows, 1) .. 1 LOOP
            k := v_rows[j];
            IF t_spent[k]::NUMERIC + t_reserved[k] + v_delta > p_ceiling THEN
              o_failed := t_level[k];
              EXIT;
            END IF;
          END LOOP;
        END IF;
        IF o_failed IS NOT NULL THEN
          o_outcome := 'exceeded';
        ELSE
          v_entry := nextval('budget_entries_id_seq');
          e_id := e_id || v_entry; e_key := e_key || p_key[i]; e_kind := e_kind || 'adjust'::TEXT;
          e_amount := e_amount || v_delta; e_at := e_at || p_at[i]; e_actor := e_actor || p_actor[i];
          e_detail := e_detail || jsonb_build_object('previous', r.actual_micros, 'unpaid', r.unpaid_micros, 'reason', p_reason[i]);
          FOREACH k IN ARRAY v_rows LOOP
            t_spent[k] := t_spent[k] + v_delta;
            t_changed[k] := true;
          END LOOP;
          UPDATE budget_reservations SET actual_micros = p_amount[i], unpaid_micros = 0, updated_at = p_at[i] WHERE key = p_key[i] RETURNING * INTO r;
          o_entry := v_entry;
          o_outcome := 'adjusted';
        END IF;
      END IF;

    ELSE
      RAISE EXCEPTION 'budget_apply: unknown operation "%"', p_kind[i] USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- The levels after the op, for commits, adjustments and refusals.
    IF v_rows IS NOT NULL THEN
      o_levels := '{}'; o_entities := '{}'; o_spent := '{}'; o_reserved := '{}'; o_limits := '{}';
      FOREACH k IN ARRAY v_rows LOOP
        o_levels := o_levels || t_level[k]; o_entities := o_entities || t_entity[k];
        o_spent := o_spent || t_spent[k]; o_reserved := o_reserved || t_reserved[k]; o_limits := o_limits || t_limit[k];
      END LOOP;
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

  FOR k IN 1 .. coalesce(array_length(t_id, 1), 0) LOOP
    IF t_changed[k] THEN
      UPDATE budget_totals SET spent_micros = t_spent[k], reserved_micros = t_reserved[k]
       WHERE level = t_level[k] AND entity = t_entity[k] AND period = t_period[k];
    END IF;
  END LOOP;
  IF array_length(e_id, 1) > 0 THEN
    INSERT INTO budget_entries (id, key, kind, amount_micros, at, actor, detail)
    SELECT * FROM unnest(e_id, e_key, e_kind, e_amount, e_at, e_actor, e_detail);
  END IF;
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
