-- Download lookups are cached for a moment by every API replica (FileStateCache, issue 19). These triggers tell
-- the replicas, through their LISTEN connection, as soon as what decides a download changes: a file's state
-- (deleted, quarantined, …), its URL generation (revoked URLs), the bytes it serves, or its variants. The
-- notification is sent at commit, on the channel filestore_file_changed, with the payload 'tenant/file'.
-- A replica that misses one still refuses within its cache's bounded age (500 ms by default).

CREATE FUNCTION filestore_notify_file_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF TG_TABLE_NAME = 'files' THEN
    PERFORM pg_notify('filestore_file_changed', r.tenant_id || '/' || r.id);
  ELSE
    PERFORM pg_notify('filestore_file_changed', r.tenant_id || '/' || r.file_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER files_notify_changed
  AFTER UPDATE ON files FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.url_generation IS DISTINCT FROM NEW.url_generation
        OR OLD.object_key IS DISTINCT FROM NEW.object_key OR OLD.sha256 IS DISTINCT FROM NEW.sha256
        OR OLD.size IS DISTINCT FROM NEW.size OR OLD.content_type IS DISTINCT FROM NEW.content_type
        OR OLD.original_name IS DISTINCT FROM NEW.original_name)
  EXECUTE FUNCTION filestore_notify_file_changed();

CREATE TRIGGER files_notify_deleted
  AFTER DELETE ON files FOR EACH ROW
  EXECUTE FUNCTION filestore_notify_file_changed();

CREATE TRIGGER file_variants_notify_changed
  AFTER INSERT OR UPDATE OR DELETE ON file_variants FOR EACH ROW
  EXECUTE FUNCTION filestore_notify_file_changed();
