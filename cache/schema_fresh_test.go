package cache

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFreshSchema holds freshSchema (schema_fresh.go) equal to what the
// migrations leave in a new index: the same tables, indexes and triggers
// with the same SQL, the same rows and the same version. After a new
// migration, regenerate the file:
//
//	POSTA_WRITE_FRESH_SCHEMA=1 go test ./cache -run TestFreshSchema
func TestFreshSchema(t *testing.T) {
	migrated := newIndexDB(t)
	// Two steps, so that the first does not start from an empty index.
	if err := migrateTo(migrated, 1); err != nil {
		t.Fatal(err)
	}
	if err := migrate(migrated); err != nil {
		t.Fatal(err)
	}
	want := describeIndex(t, migrated)
	if os.Getenv("POSTA_WRITE_FRESH_SCHEMA") != "" {
		writeFreshSchema(t, migrated)
		return
	}
	if freshVersion != len(migrations) {
		t.Fatalf("schema_fresh.go is for version %d, the migrations reach %d: regenerate it (see this test's comment)", freshVersion, len(migrations))
	}
	fresh := newIndexDB(t)
	if err := migrate(fresh); err != nil {
		t.Fatal(err)
	}
	if got := describeIndex(t, fresh); got != want {
		t.Errorf("a new index made from freshSchema differs from one made by the migrations: regenerate schema_fresh.go (see this test's comment)\nfresh:\n%s\nmigrated:\n%s", got, want)
	}
}

// TestFreshSchemaOnlyWhenEmpty: an index at version 0 that already
// holds a table is migrated step by step, not given freshSchema (which
// would fail on the table, or skip a migration's conversion of it).
func TestFreshSchemaOnlyWhenEmpty(t *testing.T) {
	db := newIndexDB(t)
	if _, err := db.Exec(migrations[0]); err != nil { // as if user_version had been lost
		t.Fatal(err)
	}
	err := migrate(db)
	if err == nil || !strings.Contains(err.Error(), "migration 1") {
		t.Fatalf("migrate over version 0 with tables = %v, want the first migration's error", err)
	}
}

func newIndexDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), dbName)+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// describeIndex lists an index's version, schema and rows as text.
func describeIndex(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "version %d\n", version)
	rows, err := db.Query(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var typ, name, table, sql string
		if err := rows.Scan(&typ, &name, &table, &sql); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s on %s: %s\n", typ, name, table, sql)
		if typ == "table" && !strings.HasPrefix(sql, "CREATE VIRTUAL") {
			tables = append(tables, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		for _, r := range tableRows(t, db, table) {
			fmt.Fprintf(&b, "row of %s: %s\n", table, r)
		}
	}
	return b.String()
}

// tableRows returns a table's rows as SQL value lists, sorted.
func tableRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf(`SELECT * FROM "%s"`, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case int64:
				parts[i] = fmt.Sprint(v)
			case nil:
				parts[i] = "NULL"
			case string:
				parts[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			case []byte:
				parts[i] = fmt.Sprintf("X'%X'", v)
			default:
				t.Fatalf("table %s: a value of type %T", table, v)
			}
		}
		out = append(out, "("+strings.Join(parts, ", ")+")")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// writeFreshSchema writes schema_fresh.go from a migrated index: its
// objects' SQL in the order they were made (the virtual table makes its
// own shadow tables, SQLite its autoindexes and sqlite_sequence), then
// the rows of its tables.
func writeFreshSchema(t *testing.T, db *sql.DB) {
	rows, err := db.Query(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	var virtual, tables []string
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		shadow := typ == "table" && slices.ContainsFunc(virtual, func(v string) bool { return strings.HasPrefix(name, v+"_") })
		if strings.HasPrefix(name, "sqlite_") || shadow {
			continue
		}
		if strings.HasPrefix(sql, "CREATE VIRTUAL") {
			virtual = append(virtual, name)
		} else if typ == "table" {
			tables = append(tables, name)
		}
		if strings.Contains(sql, "`") {
			t.Fatalf("%s holds a backquote, which the generated Go raw string cannot", name)
		}
		script.WriteString(sql + ";\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		for _, r := range tableRows(t, db, table) {
			fmt.Fprintf(&script, "INSERT INTO %s VALUES %s;\n", table, r)
		}
	}
	src := fmt.Sprintf(`// Code generated by TestFreshSchema (POSTA_WRITE_FRESH_SCHEMA=1 go test ./cache -run TestFreshSchema); DO NOT EDIT.

package cache

// freshVersion is the schema version freshSchema makes.
const freshVersion = %d

// freshSchema makes, in one script, the schema and rows that the
// migrations up to freshVersion leave in a new index (migrateStep).
const freshSchema = %s
`, len(migrations), "`\n"+script.String()+"`")
	if err := os.WriteFile("schema_fresh.go", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}
