-- Up Migration
-- Commands of every tenant; every query filters by tenant_id.
CREATE TABLE commands (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  name text NOT NULL,
  target text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  version integer NOT NULL DEFAULT 1,
  created_by text NOT NULL,
  -- A retried create with the same Idempotency-Key returns the first command instead of a second one.
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX commands_tenant_created ON commands (tenant_id, created_at DESC, id DESC);

-- Every status change, written in the same transaction as the change (audit trail).
CREATE TABLE command_events (
  id bigserial PRIMARY KEY,
  command_id uuid NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
  tenant_id text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX command_events_command ON command_events (command_id, id);

-- Open WebSocket connections, so a status change reaches every client of the tenant.
CREATE TABLE connections (
  connection_id text PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  connected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_tenant ON connections (tenant_id);

-- Down Migration
DROP TABLE connections;
DROP TABLE command_events;
DROP TABLE commands;
