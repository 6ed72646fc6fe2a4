//! The PostgreSQL schema: numbered migrations recorded in `schema_migrations`, applied
//! under an advisory lock so that several `serve` processes starting at once agree.

use postgres::Client;

use super::PgStore;
use crate::store::StoreError;

/// One schema step. Versions are 1, 2, 3…; never edit a shipped one.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event log, ticket projection, nudge claims and tokens",
        sql: r#"
    CREATE TABLE events (
        seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        -- The inserting transaction: the change feed reads in (tx, seq) order and only
        -- below the oldest transaction still in flight (see feed.rs).
        tx          xid8   NOT NULL DEFAULT pg_current_xact_id(),
        id          text   NOT NULL UNIQUE,
        ticket      text   NOT NULL,
        kind        text   NOT NULL,
        at          bigint NOT NULL,  -- microseconds since the Unix epoch, UTC
        recorded_at bigint NOT NULL,
        actor       text   NOT NULL,
        payload     text   NOT NULL,  -- compact JSON object, as the SQLite store keeps it
        prev_hash   text   NOT NULL,
        hash        text   NOT NULL,
        -- A chain never forks, whatever a writer does.
        UNIQUE (ticket, prev_hash)
    );
    CREATE INDEX events_by_ticket ON events (ticket, seq);
    CREATE INDEX events_feed ON events (tx, seq);

    CREATE FUNCTION slawatch_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'events are append-only: record a correction as a new event';
    END $$;
    CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION slawatch_events_append_only();
    CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION slawatch_events_append_only();

    -- A cache of each ticket's current state, rebuilt from `events` at will.
    CREATE TABLE tickets (
        ticket      text    PRIMARY KEY,
        head        text    NOT NULL,
        events      bigint  NOT NULL,
        last_seq    bigint  NOT NULL,
        open        boolean NOT NULL,
        facts       bytea,            -- postcard bytes of sla::Facts; NULL if it does not fold
        resolved_at bigint
    );
    CREATE INDEX tickets_open ON tickets (open, ticket);

    CREATE TABLE nudges_sent (
        user_name    text    NOT NULL,
        ticket       text    NOT NULL,
        metric       text    NOT NULL,
        cycle_start  bigint  NOT NULL,
        target       bigint  NOT NULL,
        kind         text    NOT NULL,
        value        bigint  NOT NULL,
        threshold_at bigint  NOT NULL,
        due          bigint  NOT NULL,
        fired_at     bigint  NOT NULL,
        late         boolean NOT NULL,
        loud         boolean NOT NULL,
        priority     text    NOT NULL,
        summary      text    NOT NULL,
        PRIMARY KEY (user_name, ticket, metric, cycle_start, target, kind, value)
    );
    CREATE INDEX nudges_sent_by_time ON nudges_sent (user_name, fired_at);
    CREATE TABLE nudge_snoozes (
        user_name text   NOT NULL,
        ticket    text   NOT NULL,
        until     bigint NOT NULL,
        PRIMARY KEY (user_name, ticket)
    );

    CREATE TABLE tokens (
        hash       text   PRIMARY KEY,  -- sha256 of the secret; the secret is never stored
        name       text   NOT NULL,
        role       text   NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint,
        revoked_at bigint
    );
    CREATE INDEX tokens_by_name ON tokens (name);
    "#,
    },
    Migration {
        version: 2,
        name: "log-wide Merkle tree edge, signed checkpoints, the store's identity",
        sql: r#"
    -- The RFC 9162 tree over every event (store::merkle), in feed order (tx, seq): an
    -- event joins it once every transaction begun before its own has ended, so the
    -- order never changes (see merkle.rs). One row: the tree covers the events up to
    -- (last_tx, last_seq); `peaks` are its perfect subtrees' roots, 32 bytes each.
    CREATE TABLE merkle_frontier (
        one      boolean PRIMARY KEY DEFAULT true CHECK (one),
        size     bigint  NOT NULL,
        last_tx  xid8    NOT NULL,
        last_seq bigint  NOT NULL,
        peaks    bytea   NOT NULL
    );
    INSERT INTO merkle_frontier (size, last_tx, last_seq, peaks) VALUES (0, '0', 0, '');
    -- Every checkpoint this store signed, in its text form (store::checkpoint).
    CREATE TABLE checkpoints (
        id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        size bigint NOT NULL,
        text text   NOT NULL
    );
    -- Names the log in its checkpoints, so one store's checkpoint is never taken for
    -- another's.
    CREATE TABLE store_identity (id text NOT NULL);
    INSERT INTO store_identity (id) VALUES (replace(gen_random_uuid()::text, '-', ''));

    CREATE FUNCTION slawatch_kept_forever() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER checkpoints_are_append_only BEFORE UPDATE OR DELETE ON checkpoints
        FOR EACH ROW EXECUTE FUNCTION slawatch_kept_forever();
    CREATE TRIGGER checkpoints_are_never_truncated BEFORE TRUNCATE ON checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION slawatch_kept_forever();
    CREATE TRIGGER store_identity_is_fixed BEFORE UPDATE OR DELETE ON store_identity
        FOR EACH ROW EXECUTE FUNCTION slawatch_kept_forever();
    CREATE TRIGGER store_identity_is_never_truncated BEFORE TRUNCATE ON store_identity
        FOR EACH STATEMENT EXECUTE FUNCTION slawatch_kept_forever();
    CREATE TRIGGER merkle_frontier_is_never_deleted BEFORE DELETE ON merkle_frontier
        FOR EACH ROW EXECUTE FUNCTION slawatch_kept_forever();
    CREATE TRIGGER merkle_frontier_is_never_truncated BEFORE TRUNCATE ON merkle_frontier
        FOR EACH STATEMENT EXECUTE FUNCTION slawatch_kept_forever();
    "#,
    },
    Migration {
        version: 3,
        name: "an append is one call: slawatch_append and slawatch_put_ticket",
        sql: r#"
    -- One ticket's projection row, written as the Rust side computed it.
    CREATE FUNCTION slawatch_put_ticket(
        p_ticket text, p_head text, p_events bigint, p_last_seq bigint, p_open boolean,
        p_facts bytea, p_resolved_at bigint
    ) RETURNS void LANGUAGE sql AS $$
        INSERT INTO tickets (ticket, head, events, last_seq, open, facts, resolved_at)
        VALUES (p_ticket, p_head, p_events, p_last_seq, p_open, p_facts, p_resolved_at)
        ON CONFLICT (ticket) DO UPDATE SET head = EXCLUDED.head, events = EXCLUDED.events,
            last_seq = EXCLUDED.last_seq, open = EXCLUDED.open, facts = EXCLUDED.facts,
            resolved_at = EXCLUDED.resolved_at
    $$;

    -- One event appended in one statement (see append.rs). The caller computed its
    -- hash and the ticket's new projection row from the history it read; this takes
    -- the ticket's lock before writing anything (the transaction id is assigned at the
    -- first write, which keeps the feed in chain order), then answers
    --   'known' and the stored seq when the id is already stored (nothing written),
    --   'moved' when the ticket's head is no longer `p_prev_hash` (nothing written;
    --           `p_first` says the caller saw no event on the ticket),
    --   'stored' and the new seq otherwise, with the projection row written and the
    --           feed's listeners notified at commit.
    -- Each statement here takes a fresh snapshot (read committed), so the head is read
    -- after the lock, as the previous append to the ticket committed it.
    CREATE FUNCTION slawatch_append(
        p_lock bigint, p_id text, p_ticket text, p_kind text, p_at bigint,
        p_recorded_at bigint, p_actor text, p_payload text, p_prev_hash text,
        p_first boolean, p_hash text, p_events bigint, p_open boolean, p_facts bytea,
        p_resolved_at bigint
    ) RETURNS TABLE (outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    DECLARE
        s bigint;
        h text;
    BEGIN
        PERFORM pg_advisory_xact_lock(p_lock);
        SELECT e.seq INTO s FROM events e WHERE e.id = p_id;
        IF FOUND THEN
            RETURN QUERY SELECT 'known'::text, s;
            RETURN;
        END IF;
        SELECT e.hash INTO h FROM events e WHERE e.ticket = p_ticket ORDER BY e.seq DESC LIMIT 1;
        IF (h IS NULL) <> p_first OR (h IS NOT NULL AND h <> p_prev_hash) THEN
            RETURN QUERY SELECT 'moved'::text, NULL::bigint;
            RETURN;
        END IF;
        INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
        VALUES (p_id, p_ticket, p_kind, p_at, p_recorded_at, p_actor, p_payload, p_prev_hash, p_hash)
        RETURNING events.seq INTO s;
        PERFORM slawatch_put_ticket(p_ticket, p_hash, p_events, s, p_open, p_facts, p_resolved_at);
        PERFORM pg_notify('slawatch_events', '');
        RETURN QUERY SELECT 'stored'::text, s;
    END $$;
    "#,
    },
    Migration {
        version: 4,
        name: "appends notify after commit; a group of appends is one call",
        sql: r#"
    -- NOTIFY inside an appending transaction takes a database-wide lock at commit and
    -- holds it through the commit's WAL flush, so every notifying append committed one
    -- after the other (no group commit). Writers now notify after their commit, in a
    -- transaction of its own (append.rs).
    --
    -- The body of an append, under the ticket's lock already held: as migration 3's
    -- slawatch_append answered ('known', 'moved' or 'stored').
    CREATE FUNCTION slawatch_append_locked(
        p_id text, p_ticket text, p_kind text, p_at bigint,
        p_recorded_at bigint, p_actor text, p_payload text, p_prev_hash text,
        p_first boolean, p_hash text, p_events bigint, p_open boolean, p_facts bytea,
        p_resolved_at bigint
    ) RETURNS TABLE (outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    DECLARE
        s bigint;
        h text;
    BEGIN
        SELECT e.seq INTO s FROM events e WHERE e.id = p_id;
        IF FOUND THEN
            RETURN QUERY SELECT 'known'::text, s;
            RETURN;
        END IF;
        SELECT e.hash INTO h FROM events e WHERE e.ticket = p_ticket ORDER BY e.seq DESC LIMIT 1;
        IF (h IS NULL) <> p_first OR (h IS NOT NULL AND h <> p_prev_hash) THEN
            RETURN QUERY SELECT 'moved'::text, NULL::bigint;
            RETURN;
        END IF;
        INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
        VALUES (p_id, p_ticket, p_kind, p_at, p_recorded_at, p_actor, p_payload, p_prev_hash, p_hash)
        RETURNING events.seq INTO s;
        PERFORM slawatch_put_ticket(p_ticket, p_hash, p_events, s, p_open, p_facts, p_resolved_at);
        RETURN QUERY SELECT 'stored'::text, s;
    END $$;

    CREATE OR REPLACE FUNCTION slawatch_append(
        p_lock bigint, p_id text, p_ticket text, p_kind text, p_at bigint,
        p_recorded_at bigint, p_actor text, p_payload text, p_prev_hash text,
        p_first boolean, p_hash text, p_events bigint, p_open boolean, p_facts bytea,
        p_resolved_at bigint
    ) RETURNS TABLE (outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(p_lock);
        RETURN QUERY SELECT * FROM slawatch_append_locked(p_id, p_ticket, p_kind, p_at,
            p_recorded_at, p_actor, p_payload, p_prev_hash, p_first, p_hash, p_events,
            p_open, p_facts, p_resolved_at);
    END $$;

    -- Any change to the tokens (create, revoke, an expiry edited by hand) wakes every
    -- `serve`, which then forgets the tokens it had checked (server/token_cache.rs).
    CREATE FUNCTION slawatch_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('slawatch_tokens', '');
        RETURN NULL;
    END $$;
    CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tokens
        FOR EACH STATEMENT EXECUTE FUNCTION slawatch_tokens_changed();

    -- The histories of a group's tickets and the events stored under its ids (with
    -- repeats; the caller sorts by seq). One lookup per ticket and per id: a query
    -- over `= ANY(array)` planned generically while the table was small keeps a
    -- sequential scan until the next ANALYZE, which a busy new store reaches late.
    CREATE FUNCTION slawatch_histories(p_tickets text[], p_ids text[])
    RETURNS SETOF events LANGUAGE plpgsql STABLE AS $$
    DECLARE
        x text;
    BEGIN
        FOREACH x IN ARRAY p_tickets LOOP
            RETURN QUERY SELECT * FROM events WHERE ticket = x;
        END LOOP;
        FOREACH x IN ARRAY p_ids LOOP
            RETURN QUERY SELECT * FROM events WHERE id = x;
        END LOOP;
    END $$;

    -- Several independent appends (each one event, as concurrent requests to one serve
    -- bring them) in one statement and one commit: every ticket's lock first, in key
    -- order (two groups never deadlock) and before the first write (so before the
    -- transaction id, which the feed's chain order rests on); then each event in array
    -- order, answering as slawatch_append does, with its index (1-based). An event after
    -- another of the group on its ticket chains onto it; when that one was not stored,
    -- this one answers 'moved' and the caller appends it alone.
    CREATE FUNCTION slawatch_append_group(
        p_lock bigint[], p_id text[], p_ticket text[], p_kind text[], p_at bigint[],
        p_recorded_at bigint[], p_actor text[], p_payload text[], p_prev_hash text[],
        p_first boolean[], p_hash text[], p_events bigint[], p_open boolean[],
        p_facts bytea[], p_resolved_at bigint[]
    ) RETURNS TABLE (i integer, outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    DECLARE
        k bigint;
    BEGIN
        FOR k IN SELECT DISTINCT l FROM unnest(p_lock) AS l ORDER BY l LOOP
            PERFORM pg_advisory_xact_lock(k);
        END LOOP;
        FOR n IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
            RETURN QUERY SELECT n, a.outcome, a.stored_seq FROM slawatch_append_locked(
                p_id[n], p_ticket[n], p_kind[n], p_at[n], p_recorded_at[n], p_actor[n],
                p_payload[n], p_prev_hash[n], p_first[n], p_hash[n], p_events[n],
                p_open[n], p_facts[n], p_resolved_at[n]) AS a;
        END LOOP;
    END $$;
    "#,
    },
    Migration {
        version: 5,
        name: "appends answer as before with cheaper plans: no nested calls per event",
        sql: r#"
    -- The same answers as migration 4's functions, for less of the database's time
    -- (measured with track_functions: of some 230 us per grouped event, 80 went to
    -- slawatch_put_ticket, a SQL function planned afresh at every call from plpgsql,
    -- and a good part to calling slawatch_append_locked through RETURN QUERY). Each
    -- statement below is planned once per connection.
    CREATE OR REPLACE FUNCTION slawatch_append_locked(
        p_id text, p_ticket text, p_kind text, p_at bigint,
        p_recorded_at bigint, p_actor text, p_payload text, p_prev_hash text,
        p_first boolean, p_hash text, p_events bigint, p_open boolean, p_facts bytea,
        p_resolved_at bigint
    ) RETURNS TABLE (outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    DECLARE
        h text;
    BEGIN
        SELECT e.seq INTO stored_seq FROM events e WHERE e.id = p_id;
        IF FOUND THEN
            outcome := 'known';
            RETURN NEXT;
            RETURN;
        END IF;
        SELECT e.hash INTO h FROM events e WHERE e.ticket = p_ticket ORDER BY e.seq DESC LIMIT 1;
        IF (h IS NULL) <> p_first OR (h IS NOT NULL AND h <> p_prev_hash) THEN
            outcome := 'moved';
            RETURN NEXT;
            RETURN;
        END IF;
        INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
        VALUES (p_id, p_ticket, p_kind, p_at, p_recorded_at, p_actor, p_payload, p_prev_hash, p_hash)
        RETURNING events.seq INTO stored_seq;
        INSERT INTO tickets AS t (ticket, head, events, last_seq, open, facts, resolved_at)
        VALUES (p_ticket, p_hash, p_events, stored_seq, p_open, p_facts, p_resolved_at)
        ON CONFLICT (ticket) DO UPDATE SET head = EXCLUDED.head, events = EXCLUDED.events,
            last_seq = EXCLUDED.last_seq, open = EXCLUDED.open, facts = EXCLUDED.facts,
            resolved_at = EXCLUDED.resolved_at;
        outcome := 'stored';
        RETURN NEXT;
    END $$;

    -- As migration 4's: every ticket's lock first, in key order, before the first
    -- write; then each event in array order, answered with its index (1-based), by the
    -- body of slawatch_append_locked written out here rather than called.
    CREATE OR REPLACE FUNCTION slawatch_append_group(
        p_lock bigint[], p_id text[], p_ticket text[], p_kind text[], p_at bigint[],
        p_recorded_at bigint[], p_actor text[], p_payload text[], p_prev_hash text[],
        p_first boolean[], p_hash text[], p_events bigint[], p_open boolean[],
        p_facts bytea[], p_resolved_at bigint[]
    ) RETURNS TABLE (i integer, outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    DECLARE
        k bigint;
        h text;
    BEGIN
        IF array_length(p_lock, 1) = 1 THEN
            PERFORM pg_advisory_xact_lock(p_lock[1]);
        ELSE
            FOR k IN SELECT DISTINCT l FROM unnest(p_lock) AS l ORDER BY l LOOP
                PERFORM pg_advisory_xact_lock(k);
            END LOOP;
        END IF;
        FOR n IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
            i := n;
            SELECT e.seq INTO stored_seq FROM events e WHERE e.id = p_id[n];
            IF FOUND THEN
                outcome := 'known';
                RETURN NEXT;
                CONTINUE;
            END IF;
            h := NULL;
            SELECT e.hash INTO h FROM events e WHERE e.ticket = p_ticket[n]
                ORDER BY e.seq DESC LIMIT 1;
            IF (h IS NULL) <> p_first[n] OR (h IS NOT NULL AND h <> p_prev_hash[n]) THEN
                outcome := 'moved';
                stored_seq := NULL;
                RETURN NEXT;
                CONTINUE;
            END IF;
            INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
            VALUES (p_id[n], p_ticket[n], p_kind[n], p_at[n], p_recorded_at[n], p_actor[n],
                p_payload[n], p_prev_hash[n], p_hash[n])
            RETURNING events.seq INTO stored_seq;
            INSERT INTO tickets AS t (ticket, head, events, last_seq, open, facts, resolved_at)
            VALUES (p_ticket[n], p_hash[n], p_events[n], stored_seq, p_open[n], p_facts[n],
                p_resolved_at[n])
            ON CONFLICT (ticket) DO UPDATE SET head = EXCLUDED.head, events = EXCLUDED.events,
                last_seq = EXCLUDED.last_seq, open = EXCLUDED.open, facts = EXCLUDED.facts,
                resolved_at = EXCLUDED.resolved_at;
            outcome := 'stored';
            RETURN NEXT;
        END LOOP;
    END $$;
    "#,
    },
    Migration {
        version: 6,
        name: "ticket rows leave room on their page for their next version",
        sql: r#"
    -- Nine appends in ten update their ticket's projection row. With full pages the new
    -- version goes to another page, and both of the table's indexes take a new entry;
    -- with room left on the page it stays there (a heap-only update) and no index is
    -- touched. Applies to pages written from now on; takes no lock that stops appends.
    ALTER TABLE tickets SET (fillfactor = 70);
    "#,
    },
    Migration {
        version: 7,
        name: "a group's appends read the head from the projection and insert once",
        sql: r#"
    -- The same answers as migration 5's for the same work, with fewer index probes per
    -- event (measured with pgbench on the function alone):
    --  * the head is the ticket's projection row (one primary-key probe on a small
    --    table, the row the append updates next) instead of a backward scan of the
    --    ticket's events. The projection is written with every event under the same
    --    lock, so the two agree; where they do not (a projection damaged by hand), the
    --    event is answered 'moved' and appended alone from the log, or the log's
    --    UNIQUE (ticket, prev_hash) refuses it: never a forked chain;
    --  * a known id is found by the insert itself (ON CONFLICT (id) DO NOTHING) rather
    --    than by a lookup before it; an id known while its ticket has moved is answered
    --    'moved', and the caller's append alone then answers it as known;
    --  * the projection row is updated in place (a plain UPDATE), inserted only for a
    --    ticket's first event or a row missing (a projection being rebuilt).
    CREATE OR REPLACE FUNCTION slawatch_append_group(
        p_lock bigint[], p_id text[], p_ticket text[], p_kind text[], p_at bigint[],
        p_recorded_at bigint[], p_actor text[], p_payload text[], p_prev_hash text[],
        p_first boolean[], p_hash text[], p_events bigint[], p_open boolean[],
        p_facts bytea[], p_resolved_at bigint[]
    ) RETURNS TABLE (i integer, outcome text, stored_seq bigint) LANGUAGE plpgsql AS $$
    DECLARE
        k bigint;
        h text;
    BEGIN
        IF array_length(p_lock, 1) = 1 THEN
            PERFORM pg_advisory_xact_lock(p_lock[1]);
        ELSE
            FOR k IN SELECT DISTINCT l FROM unnest(p_lock) AS l ORDER BY l LOOP
                PERFORM pg_advisory_xact_lock(k);
            END LOOP;
        END IF;
        FOR n IN 1 .. coalesce(array_length(p_id, 1), 0) LOOP
            i := n;
            stored_seq := NULL;
            h := NULL;
            SELECT t.head INTO h FROM tickets t WHERE t.ticket = p_ticket[n];
            IF (h IS NULL) <> p_first[n] OR (h IS NOT NULL AND h <> p_prev_hash[n]) THEN
                outcome := 'moved';
                RETURN NEXT;
                CONTINUE;
            END IF;
            INSERT INTO events (id, ticket, kind, at, recorded_at, actor, payload, prev_hash, hash)
            VALUES (p_id[n], p_ticket[n], p_kind[n], p_at[n], p_recorded_at[n], p_actor[n],
                p_payload[n], p_prev_hash[n], p_hash[n])
            ON CONFLICT (id) DO NOTHING
            RETURNING events.seq INTO stored_seq;
            IF NOT FOUND THEN
                SELECT e.seq INTO stored_seq FROM events e WHERE e.id = p_id[n];
                outcome := 'known';
                RETURN NEXT;
                CONTINUE;
            END IF;
            IF NOT p_first[n] THEN
                UPDATE tickets SET head = p_hash[n], events = p_events[n], last_seq = stored_seq,
                    open = p_open[n], facts = p_facts[n], resolved_at = p_resolved_at[n]
                WHERE ticket = p_ticket[n];
            END IF;
            IF p_first[n] OR NOT FOUND THEN
                INSERT INTO tickets AS t (ticket, head, events, last_seq, open, facts, resolved_at)
                VALUES (p_ticket[n], p_hash[n], p_events[n], stored_seq, p_open[n], p_facts[n],
                    p_resolved_at[n])
                ON CONFLICT (ticket) DO UPDATE SET head = EXCLUDED.head, events = EXCLUDED.events,
                    last_seq = EXCLUDED.last_seq, open = EXCLUDED.open, facts = EXCLUDED.facts,
                    resolved_at = EXCLUDED.resolved_at;
            END IF;
            outcome := 'stored';
            RETURN NEXT;
        END LOOP;
    END $$;
    "#,
    },
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Any constant: the key of the advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x534C_4157_0000_0001;

pub(super) fn migrate(client: &mut Client, url: &str) -> Result<(), StoreError> {
    let err = |e| PgStore::error(url, e);
    let mut tx = client.transaction().map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(err)?;
    let has = |tx: &mut postgres::Transaction, table: &str| -> Result<bool, StoreError> {
        tx.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .map(|r| r.get(0))
            .map_err(err)
    };
    if !has(&mut tx, "schema_migrations")? {
        if has(&mut tx, "events")? {
            return Err(StoreError::Postgres {
                url: url.to_owned(),
                message: "has an `events` table but no `schema_migrations`: not a slawatch store; use another database or schema".into(),
            });
        }
        tx.batch_execute(
            "CREATE TABLE schema_migrations (
                 version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .map_err(err)?;
    }
    let current: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .map_err(err)?
        .get(0);
    if current > LATEST {
        return Err(StoreError::PostgresNewerSchema {
            url: url.to_owned(),
            found: current,
            supported: LATEST,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql).map_err(err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .map_err(err)?;
    }
    tx.commit().map_err(err)
}
