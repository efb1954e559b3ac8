package cache

// SchemaVersion is the version of the index schema this build of posta
// migrates to (PRAGMA user_version of an index it has opened).
func SchemaVersion() int { return schemaVersion() }
