// Package batontest is the test harness the packages' tests share: Start
// runs one World (a store on SQLite or PostgreSQL, the app, the Chatwoot
// API over real HTTP, the delivery engine and, when asked, the live
// channel, all on a Clock the test moves) with a call helper; Golden
// compares bodies with golden files rewritten with -update; Bot is a
// recording bot. It is imported by tests only (layers_test.go checks).
package batontest
