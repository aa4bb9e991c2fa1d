-- Up Migration
-- The handlers' database user: signs in with IAM tokens through RDS Proxy (rds_iam exists on
-- Aurora only) and may only read and write the application's tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'command_center_app') THEN
    CREATE ROLE command_center_app LOGIN;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO command_center_app;
  END IF;
END
$$;
GRANT SELECT, INSERT, UPDATE ON commands TO command_center_app;
GRANT SELECT, INSERT ON command_events TO command_center_app;
GRANT SELECT, INSERT, DELETE ON connections TO command_center_app;
GRANT USAGE ON SEQUENCE command_events_id_seq TO command_center_app;

-- Down Migration
REVOKE ALL ON commands, command_events, connections FROM command_center_app;
REVOKE ALL ON SEQUENCE command_events_id_seq FROM command_center_app;
DROP ROLE command_center_app;
