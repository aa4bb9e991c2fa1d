-- Up Migration
-- Files attached to entries. The row is written before the upload (PENDING, with what the client
-- declared); the attachment processor verifies the object and moves it to AVAILABLE or REJECTED.
-- The bytes live in the files bucket under attachments/<user>/<entry>/<id>, the thumbnail under
-- thumbnails/<user>/<entry>/<id>.webp; deleting the entry deletes its rows.
CREATE TABLE attachments (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  entry_id uuid NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  file_name text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL CHECK (size > 0),
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'AVAILABLE', 'REJECTED')),
  reason text,
  has_thumbnail boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX attachments_user_entry ON attachments (user_id, entry_id, created_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON attachments TO personal_pod_app;

-- Down Migration
DROP TABLE attachments;
