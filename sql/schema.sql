-- gitsync's own state. The extension never creates, alters or drops
-- Docmost's tables; everything it keeps lives in the schema gitsync,
-- which belongs to the extension and goes with DROP EXTENSION.
CREATE SCHEMA gitsync;
COMMENT ON SCHEMA gitsync IS 'State of the gitsync extension (per-space status, per-page export state, run history)';

-- One row per space gitsync has run or skipped: what gitsync_status() shows.
CREATE TABLE gitsync.space_state (
    space_id             uuid PRIMARY KEY,
    last_run_at          timestamptz,
    last_result          text CHECK (last_result IN ('ok', 'failed')),
    last_error           text,
    last_success_at      timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    push_failures        integer NOT NULL DEFAULT 0,
    first_push_failure   jsonb,
    pull_failures        integer NOT NULL DEFAULT 0,
    first_pull_failure   jsonb,
    last_skipped_at      timestamptz,
    last_skip_reason     text,
    divergent_docmost    boolean NOT NULL DEFAULT false,
    main_commit          text,
    docmost_commit       text,
    -- Set by a cycle that changed nothing and left nothing to retry: what
    -- it depended on (digest of the page rows, refs, settings). The next
    -- cycle that computes the same key skips reading pages and trees.
    -- NULL after any other cycle or a failure: the next one runs in full.
    idle_key             text
);

-- What the last export of each page wrote, so that a cycle (or a restart)
-- reads and converts only the pages that changed.
CREATE TABLE gitsync.page_state (
    space_id      uuid    NOT NULL,
    page_id       uuid    NOT NULL,
    path          text    NOT NULL,
    updated_at_us bigint  NOT NULL,
    title         text,
    slug_id       text    NOT NULL,
    parent_id     uuid,
    blob          text    NOT NULL,
    PRIMARY KEY (space_id, page_id)
);

-- Every cycle and skip, newest last; trimmed to gitsync.run_history_limit
-- rows per space after each insert.
CREATE TABLE gitsync.run_history (
    id          bigserial   PRIMARY KEY,
    space_id    uuid        NOT NULL,
    trigger     text        NOT NULL CHECK (trigger IN ('worker', 'manual')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    result      jsonb       NOT NULL,
    warnings    text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX run_history_space_id_idx ON gitsync.run_history (space_id, id);

-- Each time the push replaces a page's body: the page_history row that
-- keeps the old body, and the Yjs document Docmost held then. An editor tab
-- opened before the write saves on top of that ydoc; keeping it (its state
-- vector included) is what lets a later cycle recognise such a stale-base
-- save and merge it instead of letting it revert git's change. The newest
-- ten per page are kept.
CREATE TABLE gitsync.replaced_body (
    id          bigserial   PRIMARY KEY,
    page_id     uuid        NOT NULL,
    history_id  uuid        NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ydoc        bytea
);
CREATE INDEX replaced_body_page_id_idx ON gitsync.replaced_body (page_id, id);
