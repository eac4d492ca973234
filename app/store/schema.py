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
]

LATEST = MIGRATIONS[-1][0]
