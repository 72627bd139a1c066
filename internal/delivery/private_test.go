package delivery_test

import (
	"net/netip"
	"testing"

	"github.com/batonhq/baton/internal/delivery"
)

// TestPrivate lists what --webhook-block-private refuses.
func TestPrivate(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"fd12:3456::1": true, "169.254.169.254": true, "fe80::1": true, "0.0.0.0": true, "::": true, "224.0.0.1": true,
		"ff02::1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true,
		"100.64.0.1": true, "100.100.100.200": true, "198.18.0.1": true, "198.19.255.255": true, "0.1.2.3": true,
		"64:ff9b::7f00:1": true, "64:ff9b::a9fe:a9fe": true, "64:ff9b:1::a00:1": true, "2002:7f00:1::1": true,
		"2002:a9fe:a9fe::": true, "::127.0.0.1": true, "::10.0.0.1": true,
		"64:ff9b::808:808": false, "2002:808:808::1": false, "100.128.0.1": false, "198.20.0.1": false,
		"203.0.113.10": false, "8.8.8.8": false, "2606:4700::1111": false, "172.32.0.1": false, "::ffff:8.8.8.8": false,
	} {
		if got := delivery.Private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Private(%s) = %v, want %v", addr, got, want)
		}
	}
}
