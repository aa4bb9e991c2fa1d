-- Up Migration
-- The handlers' database user: signs in with IAM tokens through RDS Proxy (rds_iam exists on
-- Aurora only) and may only read and write the application's tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'personal_pod_app') THEN
    CREATE ROLE personal_pod_app LOGIN;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO personal_pod_app;
  END IF;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON categories, entries, entry_versions, entry_tags, connections TO personal_pod_app;

-- Down Migration
REVOKE ALL ON categories, entries, entry_versions, entry_tags, connections FROM personal_pod_app;
DROP ROLE personal_pod_app;
