// Package batontest is the test harness the packages' tests share: one
// clock the test moves, golden files rewritten with -update, and a
// recording bot. It is imported by tests only.
package batontest
