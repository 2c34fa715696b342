-- Tamper-evident audit trail: an append-only hash chain (src/audit/).
--
-- Each entry's hash covers its own fields and the previous entry's hash, so editing, removing
-- or reordering a row breaks the chain at that row. `seq` is gapless (assigned from the head
-- row below, not from a sequence, which would leave gaps on rollbacks and conflicts), so a
-- missing number always means a deleted entry.
CREATE TABLE audit_entries (
  seq          BIGINT      PRIMARY KEY CHECK (seq > 0),
  -- Idempotency: a retried activity writing the same entry finds the first one.
  entry_key    TEXT        NOT NULL UNIQUE,
  at           TIMESTAMPTZ NOT NULL,
  -- Open on purpose: new entry types need no migration; src/audit/types.ts validates them.
  type         TEXT        NOT NULL,
  operation_id TEXT,
  actor        TEXT,
  action       TEXT,
  resource     TEXT,
  -- A policy decision's effect, a vote's decision, an approval's or operation's outcome.
  outcome      TEXT,
  rule         TEXT,
  data         JSONB       NOT NULL DEFAULT '{}'::jsonb,
  prev_hash    TEXT        NOT NULL,
  hash         TEXT        NOT NULL
);
CREATE INDEX audit_entries_operation ON audit_entries (operation_id, seq) WHERE operation_id IS NOT NULL;
CREATE INDEX audit_entries_type ON audit_entries (type, seq);
CREATE INDEX audit_entries_actor ON audit_entries (actor, seq) WHERE actor IS NOT NULL;
CREATE INDEX audit_entries_at ON audit_entries (at);

-- The end of the chain. Appends lock this one row (SELECT ... FOR UPDATE), which serialises
-- them across every worker and pool, and move it forward in the same transaction. It also
-- makes entries removed from the end detectable: the table must end where the head says.
CREATE TABLE audit_chain_head (
  id        BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
  last_seq  BIGINT  NOT NULL CHECK (last_seq >= 0),
  last_hash TEXT    NOT NULL
);
INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (true, 0, repeat('0', 64));

-- Refuse edits through the ordinary path. This does not stop an owner who disables the
-- trigger; that is what the hash chain is for (`tollgate audit verify`).
CREATE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change();
CREATE TRIGGER audit_chain_head_kept BEFORE DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change();

-- The head only moves forward: winding it back would hide entries removed from the end.
CREATE FUNCTION audit_chain_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_seq < OLD.last_seq THEN
    RAISE EXCEPTION 'audit chain head may not move back from % to %', OLD.last_seq, NEW.last_seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only();
