-- gitsync_status(): one row per enabled space and per space with state.
-- PL/pgSQL so that the extension installs before Docmost's tables exist.
CREATE FUNCTION gitsync_status()
RETURNS TABLE (
    space_id             uuid,
    workspace_id         uuid,
    enabled              boolean,
    vault_path           text,
    last_run_at          timestamptz,
    last_result          text,
    last_error           text,
    last_success_at      timestamptz,
    consecutive_failures integer,
    push_failures        integer,
    first_push_failure   jsonb,
    pull_failures        integer,
    first_pull_failure   jsonb,
    last_skipped_at      timestamptz,
    last_skip_reason     text,
    lock_held_since      timestamptz,
    running_since        timestamptz,
    divergent_docmost    boolean,
    main_commit          text,
    docmost_commit       text
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
BEGIN
    RETURN QUERY
    WITH holders AS (
        SELECT l.objid::bigint AS key, a.backend_type, a.xact_start
          FROM pg_catalog.pg_locks l
          JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.classid::bigint = gitsync.lock_class()
           AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                              WHERE d.datname = pg_catalog.current_database())
    ), seen AS (
        SELECT coalesce(s.id, st.space_id) AS id, s.workspace_id AS ws,
               coalesce(s.deleted_at IS NULL AND s.settings -> 'gitSync' ->> 'enabled' = 'true', false) AS on_,
               st.*
          FROM spaces s
          FULL JOIN gitsync.space_state st ON st.space_id = s.id
         WHERE (s.deleted_at IS NULL AND s.settings -> 'gitSync' ->> 'enabled' = 'true')
            OR st.space_id IS NOT NULL
    )
    SELECT r.id, r.ws, r.on_, gitsync.vault_path(r.id),
           r.last_run_at, r.last_result, r.last_error, r.last_success_at,
           r.consecutive_failures, r.push_failures, r.first_push_failure,
           r.pull_failures, r.first_pull_failure, r.last_skipped_at, r.last_skip_reason,
           h.xact_start,
           CASE WHEN h.backend_type = 'gitsync worker' THEN h.xact_start END,
           coalesce(r.divergent_docmost, false), r.main_commit, r.docmost_commit
      FROM seen r
      LEFT JOIN holders h ON h.key = gitsync.lock_key(r.id)
     ORDER BY r.id;
END
$fn$;

-- Only superusers and roles granted EXECUTE may run cycles or read status.
REVOKE EXECUTE ON FUNCTION gitsync_run_once(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION gitsync_status() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION gitsync.vault_path(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION gitsync.lock_key(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION gitsync.lock_class() FROM PUBLIC;
