"""The database schema, as numbered migrations applied in order and recorded in `schema_version`.

A migration is appended, never edited once released: a workstation's database moves forward one step at a
time inside a transaction, so a crash mid-upgrade leaves the previous version intact.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL, updated_at TEXT NOT NULL);

        CREATE TABLE patients (
            kind TEXT NOT NULL, value TEXT NOT NULL,
            document TEXT NOT NULL, updated_at TEXT NOT NULL,
            PRIMARY KEY (kind, value)
        );

        CREATE TABLE prescriptions (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            patient_kind TEXT NOT NULL, patient_value TEXT NOT NULL,
            hid TEXT, tracking_code TEXT,
            prescribed_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX prescriptions_patient ON prescriptions (patient_value);
        CREATE INDEX prescriptions_tracking ON prescriptions (tracking_code);
        CREATE INDEX prescriptions_hid ON prescriptions (hid);
        CREATE INDEX prescriptions_state ON prescriptions (state);

        CREATE TABLE prescription_versions (
            id TEXT NOT NULL, version INTEGER NOT NULL, document TEXT NOT NULL, saved_at TEXT NOT NULL,
            PRIMARY KEY (id, version)
        );

        CREATE TABLE signatures (
            subject TEXT NOT NULL,          -- prescription or dispensing id
            version INTEGER NOT NULL,
            role TEXT NOT NULL,
            cms BLOB NOT NULL,
            signer TEXT NOT NULL,           -- JSON of the signer identity
            signed_at TEXT NOT NULL,
            PRIMARY KEY (subject, version, role)
        );

        CREATE TABLE dispensings (
            id TEXT PRIMARY KEY,
            prescription_id TEXT NOT NULL,
            state TEXT NOT NULL,
            tracking_code TEXT,
            dispensed_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX dispensings_prescription ON dispensings (prescription_id);

        CREATE TABLE drugs (
            code TEXT PRIMARY KEY,
            generic_fa TEXT NOT NULL, generic_en TEXT NOT NULL,
            form TEXT NOT NULL, form_fa TEXT NOT NULL DEFAULT '',
            strength TEXT NOT NULL, route TEXT NOT NULL, atc TEXT NOT NULL,
            price INTEGER NOT NULL DEFAULT 0
        );
        -- Search keys are folded in Python (app.text.fold_for_search) before indexing and querying.
        CREATE VIRTUAL TABLE drugs_fts USING fts5(
            names, extra, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
        );

        CREATE TABLE insurers (
            code TEXT PRIMARY KEY, name_fa TEXT NOT NULL, name_en TEXT NOT NULL, rules TEXT NOT NULL
        );

        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user TEXT NOT NULL, role TEXT NOT NULL, facility TEXT NOT NULL,
            action TEXT NOT NULL,
            patient TEXT,
            object TEXT,
            outcome TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        -- Append-only for the application; the hash chain catches whoever goes around these.
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        """,
    ),
    (
        2,
        """
        -- The transactional outbox: a row is written in the same transaction as the change it carries and
        -- leaves only through a terminal state (done, acknowledged); it is never deleted.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            chain TEXT NOT NULL,            -- rows of one chain go out strictly in seq order
            subject TEXT NOT NULL,          -- rx:<id> or disp:<id>
            op TEXT NOT NULL,               -- eligibility | register | edit | cancel | dispense
            version INTEGER NOT NULL DEFAULT 1,
            idem_key TEXT NOT NULL UNIQUE,  -- chosen before the first send, reused on every retry
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            first_sent_at TEXT,
            finished_at TEXT,
            reason_code TEXT, reason_en TEXT, reason_fa TEXT, action_en TEXT, action_fa TEXT,
            result TEXT
        );
        CREATE INDEX outbox_chain ON outbox (chain, seq);
        CREATE INDEX outbox_state ON outbox (state, next_attempt_at);
        CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
            BEGIN SELECT RAISE(ABORT, 'outbox rows are never deleted'); END;

        -- What the exchange answered about a prescription or dispensing (HID, tracking code, rule ids, receipts).
        CREATE TABLE exchange_results (
            subject TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL,
            PRIMARY KEY (subject, kind)
        );
        """,
    ),
    (
        3,
        """
        -- Drug search: one-letter prefixes indexed too, so the first keystroke does not merge every word
        -- starting with that letter. The keys are copied; app.catalog rebuilds them in its own format.
        CREATE VIRTUAL TABLE drugs_fts_3 USING fts5(
            names, extra, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
        );
        INSERT INTO drugs_fts_3 (rowid, names, extra) SELECT rowid, names, extra FROM drugs_fts;
        DROP TABLE drugs_fts;
        ALTER TABLE drugs_fts_3 RENAME TO drugs_fts;
        """,
    ),
    (
        4,
        """
        -- Every list and lookup the desktop makes is served by an index, newest first without a sort:
        -- all prescriptions, today's or a date range (prescribed_at), by state, by patient; the sync's
        -- "settled" scan (state, updated_at); dispensings by date; the outbox's chain heads in seq order
        -- (state, seq), its rows by subject; the audit log by patient.
        CREATE INDEX prescriptions_time ON prescriptions (prescribed_at, id);
        CREATE INDEX prescriptions_state_time ON prescriptions (state, prescribed_at, id);
        CREATE INDEX prescriptions_patient_time ON prescriptions (patient_value, prescribed_at, id);
        CREATE INDEX prescriptions_state_updated ON prescriptions (state, updated_at);
        DROP INDEX prescriptions_patient;
        DROP INDEX prescriptions_state;
        CREATE INDEX dispensings_time ON dispensings (dispensed_at, id);
        CREATE INDEX outbox_heads ON outbox (state, seq);
        CREATE INDEX outbox_subject ON outbox (subject, seq);
        CREATE INDEX audit_log_patient ON audit_log (patient, seq);
        -- Documents written from now on are compressed (app.store.packing: a BLOB with a format marker);
        -- rows written before stay TEXT JSON and read as they are, so nothing is rewritten here.
        """,
    ),
    (
        5,
        """
        -- The facility's users (who may sign, see statements, manage users), by national code; a store with
        -- no row here works as before (anyone who logs in may do everything) until a manager is added.
        CREATE TABLE users (
            national_code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            licence TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- Audit rows name the person whose token is logged in (national code, council or licence number;
        -- 'none' when nobody is) and the workstation (host name). Rows written before have NULL here and
        -- keep their hashes: the chain hashes these columns only when they are set (app/audit.py).
        ALTER TABLE audit_log ADD COLUMN person TEXT;
        ALTER TABLE audit_log ADD COLUMN licence TEXT;
        ALTER TABLE audit_log ADD COLUMN workstation TEXT;
        CREATE INDEX audit_log_action ON audit_log (action, seq);
        CREATE INDEX audit_log_person ON audit_log (person, seq);
        """,
    ),
    (
        6,
        """
        -- The visits the GP registered (9-1 step 7) and the outcomes of services this facility performed
        -- (9-2 step 8): each a signed document, its signatures in `signatures` under its id (version 1).
        CREATE TABLE visits (
            id TEXT PRIMARY KEY,
            patient_value TEXT NOT NULL,
            state TEXT NOT NULL,
            tracking_code TEXT,
            visited_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            document BLOB NOT NULL
        );
        CREATE INDEX visits_time ON visits (visited_at, id);
        CREATE INDEX visits_patient ON visits (patient_value, visited_at);
        CREATE TABLE outcomes (
            id TEXT PRIMARY KEY,
            prescription_id TEXT NOT NULL,
            line INTEGER NOT NULL,
            state TEXT NOT NULL,
            issued_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            document BLOB NOT NULL
        );
        CREATE INDEX outcomes_prescription ON outcomes (prescription_id, line, issued_at);
        """,
    ),
]

LATEST = MIGRATIONS[-1][0]
