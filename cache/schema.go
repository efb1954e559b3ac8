package cache

import (
	"database/sql"
	"fmt"
)

// migrations are applied in order; PRAGMA user_version holds how many have
// run. Never edit a migration that has shipped: append a new one.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE folders (
	account        TEXT NOT NULL,
	name           TEXT NOT NULL,
	delim          TEXT NOT NULL DEFAULT '',
	role           TEXT NOT NULL DEFAULT '',
	position       INTEGER NOT NULL DEFAULT 0,
	uidvalidity    INTEGER NOT NULL DEFAULT 0,
	highest_modseq INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account, name)
);
CREATE TABLE messages (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	account        TEXT NOT NULL,
	folder         TEXT NOT NULL,
	uid            TEXT NOT NULL,
	message_id     TEXT NOT NULL DEFAULT '',
	in_reply_to    TEXT NOT NULL DEFAULT '',
	refs           TEXT NOT NULL DEFAULT '',
	subject        TEXT NOT NULL DEFAULT '',
	from_json      TEXT NOT NULL DEFAULT '',
	to_json        TEXT NOT NULL DEFAULT '',
	cc_json        TEXT NOT NULL DEFAULT '',
	date           INTEGER NOT NULL DEFAULT 0,
	flags          TEXT NOT NULL DEFAULT '',
	seen           INTEGER NOT NULL DEFAULT 0,
	size           INTEGER NOT NULL DEFAULT 0,
	has_attachment INTEGER NOT NULL DEFAULT 0,
	has_body       INTEGER NOT NULL DEFAULT 0,
	maildir_path   TEXT NOT NULL DEFAULT '', -- POP: path of the Maildir file, relative to DataDir
	UNIQUE (account, folder, uid)
);
CREATE INDEX messages_by_folder_date ON messages (account, folder, date DESC, id DESC);
CREATE INDEX messages_by_account_date ON messages (account, date DESC, id DESC);
CREATE INDEX messages_by_date ON messages (date DESC, id DESC);
CREATE INDEX messages_by_seen ON messages (account, folder, seen);
CREATE TABLE pop_uidls (
	account TEXT NOT NULL,
	uidl    TEXT NOT NULL,
	PRIMARY KEY (account, uidl)
) WITHOUT ROWID;
CREATE TABLE outbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account    TEXT NOT NULL,
	from_addr  TEXT NOT NULL,
	to_json    TEXT NOT NULL,
	created    INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	file       TEXT NOT NULL UNIQUE
);
`,
	// 2: per-folder total/unread kept by triggers, so Folders does not scan.
	`
CREATE TABLE folder_counts (
	account TEXT NOT NULL,
	folder  TEXT NOT NULL,
	total   INTEGER NOT NULL DEFAULT 0,
	unread  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account, folder)
) WITHOUT ROWID;
INSERT INTO folder_counts (account, folder, total, unread)
	SELECT account, folder, COUNT(*), SUM(seen = 0) FROM messages GROUP BY account, folder;
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
	INSERT INTO folder_counts (account, folder, total, unread) VALUES (new.account, new.folder, 1, new.seen = 0)
	ON CONFLICT (account, folder) DO UPDATE SET total = total + 1, unread = unread + (new.seen = 0);
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
	UPDATE folder_counts SET total = total - 1, unread = unread - (old.seen = 0)
	WHERE account = old.account AND folder = old.folder;
END;
CREATE TRIGGER messages_count_update AFTER UPDATE OF account, folder, seen ON messages BEGIN
	UPDATE folder_counts SET total = total - 1, unread = unread - (old.seen = 0)
	WHERE account = old.account AND folder = old.folder;
	INSERT INTO folder_counts (account, folder, total, unread) VALUES (new.account, new.folder, 1, new.seen = 0)
	ON CONFLICT (account, folder) DO UPDATE SET total = total + 1, unread = unread + (new.seen = 0);
END;
`,
	// 3: full-text search (see search.go). messages_fts keeps its own copy of
	// the text (rowid = messages.id); triggers keep subject and addresses in
	// step with messages, IndexBody fills body.
	`
CREATE VIRTUAL TABLE messages_fts USING fts5(
	subject, from_text, to_text, cc_text, body,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (rowid, subject, from_text, to_text, cc_text, body)
	SELECT id, subject,
		(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(from_json) THEN from_json END)),
		(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(to_json) THEN to_json END)),
		(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(cc_json) THEN cc_json END)),
		''
	FROM messages;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, subject, from_text, to_text, cc_text, body) VALUES (new.id, new.subject,
		(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(new.from_json) THEN new.from_json END)),
		(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(new.to_json) THEN new.to_json END)),
		(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(new.cc_json) THEN new.cc_json END)),
		'');
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	DELETE FROM messages_fts WHERE rowid = old.id;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, from_json, to_json, cc_json ON messages
WHEN old.subject IS NOT new.subject OR old.from_json IS NOT new.from_json
	OR old.to_json IS NOT new.to_json OR old.cc_json IS NOT new.cc_json
BEGIN
	UPDATE messages_fts SET subject = new.subject,
		from_text = (SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(new.from_json) THEN new.from_json END)),
		to_text = (SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(new.to_json) THEN new.to_json END)),
		cc_text = (SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(new.cc_json) THEN new.cc_json END))
	WHERE rowid = new.id;
END;
`,
	// 4: the queue of IMAP message actions made while the server could not
	// be reached (actions.go), replayed in id order. msg_row is the index
	// row id of the message when the action was queued.
	`
CREATE TABLE IF NOT EXISTS pending_actions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account    TEXT NOT NULL,
	kind       TEXT NOT NULL,
	msg_row    INTEGER NOT NULL DEFAULT 0,
	folder     TEXT NOT NULL,
	uid        TEXT NOT NULL,
	args       TEXT NOT NULL DEFAULT '{}',
	created    INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS pending_actions_by_account ON pending_actions (account, id);
`,
	// 5: threads (thread.go), body cache eviction (evict.go), outbox
	// backoff and permanent failures (outbox.go).
	// thread_id 0 means "not threaded yet"; a message moved to another
	// folder is threaded again there.
	`
ALTER TABLE messages ADD COLUMN thread_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN thread_depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN thread_order INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN thread_latest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN body_bytes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_by_thread ON messages (thread_id);
CREATE INDEX messages_threaded ON messages (account, folder, thread_latest DESC, thread_id DESC, thread_order);
CREATE INDEX messages_cached_bodies ON messages (last_read, id, body_bytes) WHERE has_body = 1 AND maildir_path = '';
CREATE TABLE thread_keys (
	hash      INTEGER NOT NULL, -- of account, folder and key (thread.go: keyHash)
	thread_id INTEGER NOT NULL,
	PRIMARY KEY (hash, thread_id)
) WITHOUT ROWID;
CREATE TRIGGER messages_thread_move AFTER UPDATE OF folder ON messages
WHEN old.folder IS NOT new.folder
BEGIN
	UPDATE messages SET thread_id = 0 WHERE id = new.id;
END;
ALTER TABLE outbox ADD COLUMN next_attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN permanent INTEGER NOT NULL DEFAULT 0;
`,
	// 6: when each POP3 UIDL was stored locally (popdates.go), for the
	// delete-after-N-days policy. A trigger stamps every new pop_uidls row;
	// UIDLs stored before this migration count from the migration.
	`
CREATE TABLE pop_stored (
	account   TEXT NOT NULL,
	uidl      TEXT NOT NULL,
	stored_at INTEGER NOT NULL,
	PRIMARY KEY (account, uidl)
) WITHOUT ROWID;
INSERT INTO pop_stored (account, uidl, stored_at) SELECT account, uidl, unixepoch() FROM pop_uidls;
CREATE TRIGGER pop_uidls_stamp AFTER INSERT ON pop_uidls BEGIN
	INSERT OR IGNORE INTO pop_stored (account, uidl, stored_at) VALUES (new.account, new.uidl, unixepoch());
END;
CREATE TRIGGER pop_uidls_unstamp AFTER DELETE ON pop_uidls BEGIN
	DELETE FROM pop_stored WHERE account = old.account AND uidl = old.uidl;
END;
`,
	// 7: the outcome of each account's last sync (accountstate.go), so
	// `posta accounts` can say which accounts work without connecting.
	`
CREATE TABLE account_state (
	account    TEXT PRIMARY KEY,
	last_sync  INTEGER NOT NULL DEFAULT 0,
	last_ok    INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
`,
	// 8: what STATUS said of each folder at its last complete sync
	// (folders.go FolderMeta.Status), so a periodic resync skips the
	// folders whose state has not changed.
	`
ALTER TABLE folders ADD COLUMN status TEXT NOT NULL DEFAULT '';
`,
	// 9: several posta processes on one cache (lease.go). holders lists the
	// processes that have the cache open (Open adds, Close removes; a row
	// whose process is gone means a crash); leases are named cross-process
	// locks with an expiry (the open gate, per-account syncs). An outbox
	// row is claimed by the process sending it (outbox.go: OutboxClaim).
	`
CREATE TABLE holders (
	token  TEXT PRIMARY KEY,
	pid    INTEGER NOT NULL,
	host   TEXT NOT NULL,
	opened INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE leases (
	name    TEXT PRIMARY KEY,
	holder  TEXT NOT NULL,
	pid     INTEGER NOT NULL,
	host    TEXT NOT NULL,
	expires INTEGER NOT NULL -- Unix milliseconds
) WITHOUT ROWID;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claim_host TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_expires INTEGER NOT NULL DEFAULT 0; -- Unix milliseconds
`,
	// 10: sorting folders (sort.go): the sort each folder keeps, and an
	// index per sort key so a sorted page of a large folder is read from
	// an index. The expressions are those of sort.go, exactly.
	`
CREATE TABLE folder_sort (
	account  TEXT NOT NULL,
	folder   TEXT NOT NULL,
	sort_key TEXT NOT NULL,
	reverse  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account, folder)
) WITHOUT ROWID;
CREATE INDEX messages_sort_arrival ON messages (account, folder, CAST(uid AS INTEGER) DESC, id DESC);
CREATE INDEX messages_sort_sender ON messages (account, folder,
	lower(CASE WHEN json_valid(from_json) THEN coalesce(json_extract(from_json, '$[0].name'), json_extract(from_json, '$[0].addr'), '') ELSE '' END), id);
CREATE INDEX messages_sort_subject ON messages (account, folder, subject COLLATE NOCASE, id);
CREATE INDEX messages_sort_size ON messages (account, folder, size DESC, id DESC);
CREATE INDEX messages_sort_unread ON messages (account, folder, seen, date DESC, id DESC);
CREATE INDEX messages_sort_flagged ON messages (account, folder, (instr(flags, '\Flagged') > 0) DESC, date DESC, id DESC);
`,
	// 11: what each account's fetch server announced at its last login
	// (accountstate.go), for posta doctor.
	`
ALTER TABLE account_state ADD COLUMN server_caps TEXT NOT NULL DEFAULT '';
`,
	// 12: send later (outbox.go): when a queued message is due. 0 means
	// at once; a message whose time has not come is neither claimed nor
	// sent. held marks a message taken back (undo send, edit) while it
	// is reopened in the composer: no process sends it meanwhile.
	`
ALTER TABLE outbox ADD COLUMN send_at INTEGER NOT NULL DEFAULT 0; -- Unix seconds
ALTER TABLE outbox ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
`,
	// 13: signed and encrypted mail. messages.security holds what the
	// top-level Content-Type shows (mail.Security bits) for the index's
	// marks; autocrypt_peers is the Autocrypt (Level 1) peer state per
	// account and address, read from incoming Autocrypt: headers.
	`
ALTER TABLE messages ADD COLUMN security INTEGER NOT NULL DEFAULT 0;
CREATE TABLE autocrypt_peers (
	account          TEXT NOT NULL,
	addr             TEXT NOT NULL, -- lower case
	last_seen        INTEGER NOT NULL DEFAULT 0, -- Unix seconds
	autocrypt_ts     INTEGER NOT NULL DEFAULT 0, -- Unix seconds of the newest Autocrypt header
	keydata          BLOB,
	prefer_encrypt   TEXT NOT NULL DEFAULT '', -- "mutual" or ""
	gossip_ts        INTEGER NOT NULL DEFAULT 0,
	gossip_key       BLOB,
	PRIMARY KEY (account, addr)
) WITHOUT ROWID;
`,
	// 14: invitations (calendar.go): the events of the calendar parts of
	// cached messages, for the conflicts an invitation's card shows, and
	// which messages have been looked at (most have no calendar part).
	`
CREATE TABLE calendar_events (
	message_id INTEGER NOT NULL,
	n          INTEGER NOT NULL, -- the event's place in the message
	account    TEXT NOT NULL,
	uid        TEXT NOT NULL,
	method     TEXT NOT NULL,
	summary    TEXT NOT NULL,
	start      INTEGER NOT NULL, -- Unix seconds
	end_time   INTEGER NOT NULL,
	zone       TEXT NOT NULL,    -- IANA name the recurrence is expanded in, "" for UTC
	rule       TEXT NOT NULL,    -- RRULE, "" when it does not recur
	PRIMARY KEY (message_id, n)
);
CREATE INDEX calendar_events_by_account ON calendar_events (account, start);
CREATE TABLE calendar_scanned (message_id INTEGER PRIMARY KEY);
CREATE TRIGGER calendar_message_gone AFTER DELETE ON messages BEGIN
	DELETE FROM calendar_events WHERE message_id = old.id;
	DELETE FROM calendar_scanned WHERE message_id = old.id;
END;
`,
	// 15: storing a header costs only what every listing needs (issue
	// 15: the indexes and triggers were most of a first sync's time).
	// Full-text indexing is deferred: the messages with an id above
	// fts_state.indexed_upto are not indexed yet (ids only grow), their
	// body text, when it comes before they are indexed, waits in
	// fts_bodies, and indexPending indexes them in batches before any
	// full-text query and when the reader is idle (fts.go). The indexes
	// of the sorts other than date are made the first time a folder is
	// listed in that order (sortindex.go); messages_by_seen duplicated
	// the front of the unread sort's index and is dropped.
	`
DROP TRIGGER messages_fts_insert;
CREATE TABLE fts_state (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	indexed_upto INTEGER NOT NULL -- every message with an id up to this is in messages_fts
);
INSERT INTO fts_state (id, indexed_upto) SELECT 1, coalesce(max(id), 0) FROM messages;
CREATE TABLE fts_bodies (
	id   INTEGER PRIMARY KEY, -- messages.id, above fts_state.indexed_upto
	body TEXT NOT NULL
);
DROP INDEX messages_sort_arrival;
DROP INDEX messages_sort_sender;
DROP INDEX messages_sort_subject;
DROP INDEX messages_sort_size;
DROP INDEX messages_sort_unread;
DROP INDEX messages_sort_flagged;
DROP INDEX messages_by_seen;
`,
	// 16: the indexes of the listings other than a folder's by date
	// (threaded; an account's or every account's messages by date) are
	// made the first time such a listing is asked for (sortindex.go),
	// as the sort indexes since migration 15.
	`
DROP INDEX messages_threaded;
DROP INDEX messages_by_account_date;
DROP INDEX messages_by_date;
`,
	// 17: when each POP3 UIDL was stored is a column of pop_uidls, written
	// with it, instead of a table of its own kept by triggers (issue 15:
	// the trigger and the second B-tree cost 15% of indexing the rows of a
	// POP3 download). A UIDL the old table had no time for counts from
	// this upgrade, as in migration 6.
	`
ALTER TABLE pop_uidls ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
UPDATE pop_uidls SET stored_at = coalesce(
	(SELECT s.stored_at FROM pop_stored s WHERE s.account = pop_uidls.account AND s.uidl = pop_uidls.uidl),
	unixepoch());
DROP TRIGGER pop_uidls_stamp;
DROP TRIGGER pop_uidls_unstamp;
DROP TABLE pop_stored;
`,
	// 18: a row inserted into messages is counted into folder_counts
	// once per write transaction (foldCounts, at the end of every inTx),
	// not by a trigger per row (issue 15: the insert trigger was a fifth
	// of storing a header). count_state holds the highest id counted
	// (ids only grow); the delete and update triggers leave a row above
	// it alone, as it is counted in its final state when folded.
	`
CREATE TABLE count_state (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	counted_upto INTEGER NOT NULL -- every message with an id up to this is in folder_counts
);
INSERT INTO count_state (id, counted_upto) SELECT 1, coalesce(max(id), 0) FROM messages;
DROP TRIGGER messages_count_insert;
DROP TRIGGER messages_count_delete;
DROP TRIGGER messages_count_update;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT counted_upto FROM count_state) BEGIN
	UPDATE folder_counts SET total = total - 1, unread = unread - (old.seen = 0)
	WHERE account = old.account AND folder = old.folder;
END;
CREATE TRIGGER messages_count_update AFTER UPDATE OF account, folder, seen ON messages
WHEN old.id <= (SELECT counted_upto FROM count_state) BEGIN
	UPDATE folder_counts SET total = total - 1, unread = unread - (old.seen = 0)
	WHERE account = old.account AND folder = old.folder;
	INSERT INTO folder_counts (account, folder, total, unread) VALUES (new.account, new.folder, 1, new.seen = 0)
	ON CONFLICT (account, folder) DO UPDATE SET total = total + 1, unread = unread + (new.seen = 0);
END;
`,
}

// schemaVersion is the version a fully migrated index has.
func schemaVersion() int { return len(migrations) }

// migrate brings db up to the latest schema, in one transaction.
func migrate(db *sql.DB) error { return migrateTo(db, len(migrations)) }

// migrateTo applies the migrations up to version target.
//
// Several posta processes may open a new or old index at once. Each step
// runs in a BEGIN IMMEDIATE transaction (the DSN's _txlock=immediate),
// which takes SQLite's write lock before it reads anything: a second
// process waits for the lock (busy_timeout) instead of failing, then
// reads the schema version again inside its own transaction, finds the
// step done and applies nothing twice.
//
// While another process creates the index, even a read can fail with
// SQLITE_BUSY without waiting (SQLite does not call the busy handler
// everywhere a WAL index is being set up), so each step is retried for
// a while on SQLITE_BUSY (retryBusy).
func migrateTo(db *sql.DB, target int) error {
	var version int
	err := retryBusy(func() error { return db.QueryRow("PRAGMA user_version").Scan(&version) })
	if err != nil {
		return fmt.Errorf("cache: read schema version: %w", err)
	}
	for {
		if version > len(migrations) {
			return fmt.Errorf("cache: index schema version %d is newer than this posta (%d)", version, len(migrations))
		}
		if version >= target {
			return nil
		}
		var next int
		err := retryBusy(func() (err error) {
			next, err = migrateStep(db, target)
			return err
		})
		if err != nil {
			return err
		}
		version = next
	}
}

// migrateStep applies, in one transaction, the migrations still due
// below target once the write lock is held, and returns the version it
// left. One transaction for all of them makes an upgrade all or
// nothing. A new, empty index gets freshSchema instead (schema_fresh.go:
// what the migrations leave, generated from them and held equal to them
// by TestFreshSchema): creating the tables, triggers and indexes that
// later migrations drop or alter again, and SQLite reading the schema
// anew after each such change, took 27 ms of a first sync's start.
func migrateStep(db *sql.DB, target int) (int, error) {
	tx, err := db.Begin() // BEGIN IMMEDIATE: the write lock, before the version is read
	if err != nil {
		return 0, fmt.Errorf("cache: migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("cache: read schema version: %w", err)
	}
	if version >= target || version >= len(migrations) {
		return version, nil // done by another process meanwhile (or newer: the caller says so)
	}
	from := version
	if version == 0 && target == len(migrations) && freshVersion == len(migrations) {
		var objects int
		if err := tx.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&objects); err != nil {
			return 0, fmt.Errorf("cache: migrate: %w", err)
		}
		if objects == 0 {
			// A new index: the schema the migrations leave, in one script.
			if _, err := tx.Exec(freshSchema); err != nil {
				return 0, fmt.Errorf("cache: create index: %w", err)
			}
			version = target
		}
	}
	for ; version < target; version++ {
		if _, err := tx.Exec(migrations[version]); err != nil {
			return 0, fmt.Errorf("cache: migration %d: %w", version+1, err)
		}
	}
	// PRAGMA cannot take a bound parameter; version is our own integer.
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return 0, fmt.Errorf("cache: migrations %d to %d: %w", from+1, version, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("cache: migrations %d to %d: %w", from+1, version, err)
	}
	return version, nil
}
