// Package store is Baton's storage contract and the hand-written SQL behind it.
//
// The queries are written once, in SQL that SQLite and PostgreSQL both
// accept ($N placeholders, RETURNING, ON CONFLICT), and run through
// database/sql. The dialect packages, sqlite and postgres, own what differs:
// opening connections with their settings, the embedded migrations, and
// turning driver errors into domain errors. storetest is the conformance
// suite that both must pass. docs/decisions/0001-shared-sql.md says why the
// SQL is shared rather than written twice.
//
// Reads go through Store.Read, on a pool of readers; every change goes
// through Store.Write, one transaction on the writer, so that a change and
// the events it implies commit together.
package store
