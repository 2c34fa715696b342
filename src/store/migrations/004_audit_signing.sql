-- Signed audit trail (src/audit/README.md): per-entry Ed25519 signatures, signed checkpoints of
-- the chain, the anchoring cursor, and an INSERT check.
--
-- What defends the trail against the database owner is the signatures (made with a key the
-- database never sees) and the anchors (checkpoints copied outside the database). The triggers
-- below only stop mistakes and writers that are not the trail: an owner can disable them.

-- The service's signature over the entry's hash (NULL when the writer held no audit key) and
-- the id of the key that made it (a hint for rotation; verification uses the configured key).
ALTER TABLE audit_entries ADD COLUMN signature TEXT, ADD COLUMN key_id TEXT;

-- Where the last checkpoint is, so that an append decides "checkpoint now?" from the row it
-- locks anyway.
ALTER TABLE audit_chain_head
  ADD COLUMN checkpoint_seq BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN checkpoint_at TIMESTAMPTZ;

-- A signed statement "the chain had this hash at this seq at this time", written in the same
-- transaction as the entry that made it due, then copied to the anchor sinks.
CREATE TABLE audit_checkpoints (
  seq        BIGINT      PRIMARY KEY CHECK (seq > 0),
  hash       TEXT        NOT NULL,
  at         TIMESTAMPTZ NOT NULL,
  key_id     TEXT        NOT NULL,
  signature  TEXT        NOT NULL
);

-- How far each anchor sink has been sent (by checkpoint seq). A sink that fails keeps its place
-- and is retried; the checkpoint stays here meanwhile. An owner who moves a cursor only changes
-- which checkpoints are copied next, never what an anchor already holds.
CREATE TABLE audit_anchor_cursors (
  sink       TEXT        PRIMARY KEY,
  last_seq   BIGINT      NOT NULL DEFAULT 0,
  last_error TEXT,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change();

-- An entry must extend the chain: by commit time the head covers it and it links to the entry
-- before it. The trail always does both in one transaction; an INSERT that does neither (a
-- stray writer, a hand-made row) is refused. Deferred, because the trail inserts the entries and
-- moves the head in one statement whose parts run in no fixed order.
CREATE FUNCTION audit_entries_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq BIGINT;
  previous TEXT;
BEGIN
  SELECT last_seq INTO head_seq FROM audit_chain_head;
  IF NEW.seq > head_seq THEN
    RAISE EXCEPTION 'audit entry % is past the chain head (%): entries are appended by the audit trail only', NEW.seq, head_seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.seq = 1 THEN
    previous := repeat('0', 64);
  ELSE
    SELECT hash INTO previous FROM audit_entries WHERE seq = NEW.seq - 1;
  END IF;
  IF previous IS DISTINCT FROM NEW.prev_hash THEN
    RAISE EXCEPTION 'audit entry % does not link to entry %: entries are appended by the audit trail only', NEW.seq, NEW.seq - 1
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER audit_entries_extend_chain AFTER INSERT ON audit_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_entries_check_insert();

-- `tollgate audit query --actor A --since 24h` at a million entries: the actor's entries in a time
-- range without walking all of them. (Type within a time range is served by audit_entries_at:
-- the planner prefers it to a (type, at) index, which measured no faster; see bench/audit.ts.)
CREATE INDEX audit_entries_actor_at ON audit_entries (actor, at) WHERE actor IS NOT NULL;
