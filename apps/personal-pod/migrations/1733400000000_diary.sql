-- Up Migration
-- Every row carries the user; every query filters by user_id. Composite foreign keys on
-- (user_id, id) make it impossible to point at another user's category.

-- Categories form a tree per user (parent_id NULL = a root).
CREATE TABLE categories (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  parent_id uuid,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, id),
  FOREIGN KEY (user_id, parent_id) REFERENCES categories (user_id, id) ON DELETE RESTRICT
);
-- Sibling names are unique (case-insensitive), roots included.
CREATE UNIQUE INDEX categories_sibling_name ON categories (user_id, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

-- Entries: the current version; `version` increases by one with every change (optimistic
-- concurrency), the lock keeps other clients of the same user from editing for a while.
CREATE TABLE entries (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  category_id uuid,
  version integer NOT NULL DEFAULT 1,
  locked_by text,
  lock_expires_at timestamptz,
  -- A retried create with the same Idempotency-Key returns the first entry instead of a second one.
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key),
  FOREIGN KEY (user_id, category_id) REFERENCES categories (user_id, id) ON DELETE SET NULL (category_id)
);
CREATE INDEX entries_user_updated ON entries (user_id, updated_at DESC, id DESC);

-- Every saved version of an entry (the current one included), written in the same transaction.
CREATE TABLE entry_versions (
  entry_id uuid NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  version integer NOT NULL,
  user_id text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  category_id uuid,
  tags text[] NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entry_id, version)
);

-- Tags of the current version (lower case); popularity and suggestions read this table.
CREATE TABLE entry_tags (
  entry_id uuid NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  tag text NOT NULL,
  PRIMARY KEY (entry_id, tag)
);
CREATE INDEX entry_tags_user_tag ON entry_tags (user_id, tag text_pattern_ops);

-- Open WebSocket connections, so a change reaches every connected client of the user.
CREATE TABLE connections (
  connection_id text PRIMARY KEY,
  user_id text NOT NULL,
  connected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_user ON connections (user_id);

-- Down Migration
DROP TABLE connections;
DROP TABLE entry_tags;
DROP TABLE entry_versions;
DROP TABLE entries;
DROP TABLE categories;
