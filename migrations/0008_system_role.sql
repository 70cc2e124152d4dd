-- The system path: cross-tenant reads for leader tasks (sweeps today, the outbox relay later), and nothing else.
-- Request handling connects as filestore_app, which row-level security confines to one tenant per transaction.
-- Leader tasks connect as filestore_system, which has no table rights at all: it may only EXECUTE the
-- SECURITY DEFINER functions of the schema filestore_system, each answering one narrow question (which tenants
-- exist, which have expired work). The work itself is then done per tenant, as filestore_app, under RLS.
-- See docs/DATABASE_ROLES.md.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'filestore_system') THEN
    CREATE ROLE filestore_system NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;

CREATE SCHEMA filestore_system;
REVOKE ALL ON SCHEMA filestore_system FROM PUBLIC;
GRANT USAGE ON SCHEMA filestore_system TO filestore_system;
-- A function created here later is not executable by everyone by default.
ALTER DEFAULT PRIVILEGES IN SCHEMA filestore_system REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The functions run as their owner (the schema owner, who runs the migrations), and every tenant table FORCEs
-- row-level security on its owner too. These policies let the owner read (never write) across tenants only
-- while it acts for a session of filestore_system, which can only happen inside these functions: the system
-- role cannot become the owner, and has no other way to run code as the owner. The owner's own sessions, and
-- filestore_app's, still see one tenant at a time.
CREATE POLICY system_read ON tenants AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');
CREATE POLICY system_read ON uploads AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');
CREATE POLICY system_read ON idempotency_keys AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');

-- Tenants in id order after p_after (NULL: from the start), at most p_limit.
CREATE FUNCTION filestore_system.tenants(p_after text, p_limit integer)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT t.id FROM public.tenants t
  WHERE p_after IS NULL OR t.id > p_after
  ORDER BY t.id LIMIT greatest(p_limit, 0)
$$;

-- Tenants (id order, after p_after, at most p_limit) with an abandoned upload: unfinished, past expires_at,
-- not under a live lease — exactly the uploads the per-tenant sweep deletes.
CREATE FUNCTION filestore_system.tenants_with_expired_uploads(p_after text, p_limit integer)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT u.tenant_id FROM public.uploads u
  WHERE u.completed_at IS NULL AND u.expires_at < now()
    AND (u.locked_until IS NULL OR u.locked_until < now())
    AND (p_after IS NULL OR u.tenant_id > p_after)
  ORDER BY u.tenant_id LIMIT greatest(p_limit, 0)
$$;

-- Tenants (id order, after p_after, at most p_limit) with an idempotency key past expires_at.
CREATE FUNCTION filestore_system.tenants_with_expired_idempotency_keys(p_after text, p_limit integer)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT k.tenant_id FROM public.idempotency_keys k
  WHERE k.expires_at < now()
    AND (p_after IS NULL OR k.tenant_id > p_after)
  ORDER BY k.tenant_id LIMIT greatest(p_limit, 0)
$$;

REVOKE ALL ON FUNCTION filestore_system.tenants(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION filestore_system.tenants_with_expired_uploads(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION filestore_system.tenants_with_expired_idempotency_keys(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION filestore_system.tenants(text, integer) TO filestore_system;
GRANT EXECUTE ON FUNCTION filestore_system.tenants_with_expired_uploads(text, integer) TO filestore_system;
GRANT EXECUTE ON FUNCTION filestore_system.tenants_with_expired_idempotency_keys(text, integer) TO filestore_system;
