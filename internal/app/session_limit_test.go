package app

import (
	"fmt"
	"testing"
	"time"
)

// TestSignInLimiterFull: a table of failed sign-ins filled by an attacker
// does not lift the limit from the accounts it could not hold; attempts
// that are refused or never fail make no entries; an IPv6 client counts
// by its /64.
func TestSignInLimiterFull(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := &signInLimiter{size: 100}
	// Checking makes no entry.
	for i := range 500 {
		l.allowed(now, fmt.Sprintf("probe%d@x.test", i), "203.0.113.9")
	}
	if len(l.windows) != 0 {
		t.Fatalf("checks made %d entries", len(l.windows))
	}
	// An attacker fills the table with failures of many e-mails from many
	// addresses.
	for i := range 200 {
		l.failed(now, fmt.Sprintf("filler%d@x.test", i), fmt.Sprintf("198.51.100.%d", i%250))
	}
	if len(l.windows) > 100 {
		t.Fatalf("the table holds %d entries, bound 100", len(l.windows))
	}
	// A victim the table cannot hold is still limited, by the overflow.
	guesses := 0
	for l.allowed(now, "victim@acme.test", "192.0.2.7") && guesses < 2*signInOverflowFails {
		l.failed(now, "victim@acme.test", "192.0.2.7")
		guesses++
	}
	if guesses >= 2*signInOverflowFails {
		t.Fatalf("with the table full, %d guesses at one account went unlimited", guesses)
	}
	// When the windows end, the table holds keys again, and each is
	// limited by its own count.
	now = now.Add(signInWindow)
	for range signInFailsPerEmail {
		if !l.allowed(now, "victim@acme.test", "192.0.2.8") {
			t.Fatal("a new window began limited")
		}
		l.failed(now, "victim@acme.test", "192.0.2.8")
	}
	if l.allowed(now, "victim@acme.test", "192.0.2.9") {
		t.Fatalf("%d failures did not limit the account", signInFailsPerEmail)
	}
	// Addresses of one IPv6 /64 count together.
	for i := range signInFailsPerAddr {
		l.failed(now, fmt.Sprintf("v6-%d@x.test", i), fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	if l.allowed(now, "someone@x.test", "2001:db8:1:2:ffff::1") {
		t.Fatal("failures from one IPv6 /64 did not limit it")
	}
	if !l.allowed(now, "someone@x.test", "2001:db8:1:3::1") {
		t.Fatal("another /64 was limited")
	}
}
