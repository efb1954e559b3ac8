package accounts

import "github.com/posta-mail/posta/cache"

// CacheSchemaVersion is the cache index's schema version in this build;
// an index OpenCache has opened is at this version.
func CacheSchemaVersion() int { return cache.SchemaVersion() }
