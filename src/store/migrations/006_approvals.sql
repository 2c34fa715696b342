-- Authenticated approvals (src/approval/): approver tokens, and standing grants with their uses.
-- (A decision proof's nonce needs no table: proofs are bound to one operation, and each operation
-- remembers the nonces it has seen in its own workflow state.)

-- Tokens for `POST /v1/operations/{id}/decision`. Only a SHA-256 of the token is kept: a copy of
-- the database does not let anyone approve.
CREATE TABLE approver_tokens (
  id          TEXT        PRIMARY KEY,
  identifier  TEXT        NOT NULL,
  token_hash  TEXT        NOT NULL UNIQUE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_by  TEXT,
  expires_at  TIMESTAMPTZ,
  revoked_at  TIMESTAMPTZ
);
CREATE INDEX approver_tokens_identifier ON approver_tokens (identifier);

-- "Approve, and allow the same for an hour": one requester, one action, a resource glob.
CREATE TABLE approval_grants (
  id              TEXT        PRIMARY KEY,
  requester       TEXT        NOT NULL,
  action          TEXT        NOT NULL,
  scope           TEXT        NOT NULL,
  rule            TEXT        NOT NULL,
  granted_by      TEXT        NOT NULL,
  granted_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at      TIMESTAMPTZ NOT NULL,
  max_uses        INTEGER     NOT NULL CHECK (max_uses > 0),
  uses            INTEGER     NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
  source_operation TEXT       NOT NULL UNIQUE,
  revoked_at      TIMESTAMPTZ,
  revoked_by      TEXT
);
CREATE INDEX approval_grants_live ON approval_grants (requester, action) WHERE revoked_at IS NULL;

-- One use per operation, so a retried evaluation spends nothing twice.
CREATE TABLE approval_grant_uses (
  grant_id     TEXT        NOT NULL REFERENCES approval_grants (id),
  operation_id TEXT        NOT NULL,
  used_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (operation_id),
  UNIQUE (grant_id, operation_id)
);
