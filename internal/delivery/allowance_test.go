package delivery

import (
	"net/netip"
	"testing"
)

// TestAllowance: what an account's allow-list lets an attempt dial with
// --webhook-block-private. A range opens what it holds; a host named on
// the list opens the private networks for that host, but not the machine
// itself or a cloud's metadata service, which only a range on the list (or
// a name only the operator lists) opens.
func TestAllowance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url     string
		allowed []string
		open    []string // addresses the attempt may dial
		shut    []string // addresses it may not
	}{
		{"http://10.1.2.3/hook", []string{"10.0.0.0/8"}, []string{"10.1.2.3", "8.8.8.8"}, []string{"127.0.0.1", "192.168.1.1", "169.254.169.254"}},
		{"http://n8n.internal/hook", []string{"n8n.internal"}, []string{"10.1.2.3", "192.168.1.1", "fd12::1", "100.64.0.1", "8.8.8.8"},
			[]string{"127.0.0.1", "::1", "169.254.169.254", "fe80::1", "100.100.100.200", "fd00:ec2::254", "0.0.0.0", "64:ff9b::7f00:1", "::ffff:127.0.0.1"}},
		{"http://n8n.internal/hook", []string{"n8n.internal", "169.254.169.254"}, []string{"169.254.169.254", "10.1.2.3"}, []string{"127.0.0.1"}},
		{"http://localhost:8080/hook", []string{"localhost"}, []string{"127.0.0.1", "::1", "10.1.2.3"}, nil},
		{"http://other.internal/hook", []string{"n8n.internal"}, []string{"8.8.8.8"}, []string{"10.1.2.3", "127.0.0.1"}},
	} {
		key, refused, allowed, ok := allowance(&endpoint{url: c.url, allowed: c.allowed})
		if !ok {
			refused, allowed = Private, nil // the engine's own client
		}
		dial := func(a string) error {
			if refused == nil {
				return nil
			}
			return refusePrivate(refused, allowed)("tcp", netip.AddrPortFrom(netip.MustParseAddr(a), 80).String(), nil)
		}
		for _, a := range c.open {
			if err := dial(a); err != nil {
				t.Errorf("%s with %v (policy %q): %s refused: %v", c.url, c.allowed, key, a, err)
			}
		}
		for _, a := range c.shut {
			if err := dial(a); err == nil {
				t.Errorf("%s with %v (policy %q): %s dialed", c.url, c.allowed, key, a)
			}
		}
	}
}
