package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/batonhq/baton"
)

// ErrPrivateAddress is the error of an attempt to reach a bot at an address
// that --webhook-block-private refuses.
var ErrPrivateAddress = errors.New("private address refused")

// privateError names the refused address.
type privateError struct{ addr netip.Addr }

func (e *privateError) Error() string {
	return fmt.Sprintf("%s is a loopback, private, link-local or multicast address, refused by --webhook-block-private (and not on the account's allow-list)", e.addr)
}

func (e *privateError) Is(target error) bool { return target == ErrPrivateAddress }

// Addr is the refused address: an account's allow-list may let it pass.
func (e *privateError) Addr() netip.Addr { return e.addr }

// Private reports whether an address is one a server that blocks private
// networks must not reach: loopback, private (RFC 1918, unique local),
// link-local, unspecified or multicast; shared address space
// (100.64.0.0/10, where carrier NAT and some clouds' metadata services
// live), benchmarking (198.18.0.0/15), "this network" (0.0.0.0/8); and
// IPv6 addresses that carry an IPv4 address (IPv4-mapped and -compatible,
// NAT64, 6to4), judged by the IPv4 address they carry.
func Private(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	if v4, ok := embeddedIPv4(a); ok {
		a = v4
	}
	if slices.ContainsFunc(privateRanges, func(p netip.Prefix) bool { return p.Contains(a) }) {
		return true
	}
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified()
}

// privateRanges are the ranges Private refuses beyond those netip names.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("198.18.0.0/15"),
}

// embeddedIPv4 returns the IPv4 address an IPv6 address carries: IPv4-
// mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
// (64:ff9b::/96 and the local-use 64:ff9b:1::/48, the address in the last
// 32 bits) or 6to4 (2002::/16, the address in bits 16 to 48).
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if a.Is4() {
		return a, false
	}
	b := a.As16()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{b[i], b[i+1], b[i+2], b[i+3]}) }
	switch {
	case a.Is4In6():
		return a.Unmap(), true
	case netip.MustParsePrefix("::/96").Contains(a) && !a.IsUnspecified() && !a.IsLoopback():
		return v4(12), true
	case netip.MustParsePrefix("64:ff9b::/96").Contains(a), netip.MustParsePrefix("64:ff9b:1::/48").Contains(a):
		return v4(12), true
	case netip.MustParsePrefix("2002::/16").Contains(a):
		return v4(2), true
	}
	return a, false
}

// refusePrivate returns a net.Dialer Control function that refuses the
// addresses refused names (Private, or baton.OperatorOnlyAddr) outside the
// allowed ranges. It sees the address actually dialed, after name
// resolution, so a name that resolves to a public address when checked and
// to a private one when used (DNS rebinding) is refused all the same.
func refusePrivate(refused func(netip.Addr) bool, allowed []netip.Prefix) func(_, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dialing %q: %w", address, ErrPrivateAddress)
		}
		a := ap.Addr().Unmap()
		if !refused(a) {
			return nil
		}
		for _, p := range allowed {
			if p.Contains(a) {
				return nil
			}
		}
		return &privateError{addr: a}
	}
}

// newClient returns an HTTP client of the engine: it follows no redirects
// (a 3xx is not an acknowledgement), keeps a connection per worker to a
// target, and when refused is given refuses the addresses it names outside
// the allowed ranges when connecting. It uses no proxy when refusing: the
// check must see the target's address, not the proxy's. Connections are
// pooled per client, so a connection one account's allow-list let through
// is never reused for a target that may not reach it.
func newClient(workers int, refused func(netip.Addr) bool, allowed []netip.Prefix) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = workers
	if refused != nil {
		t.Proxy = nil
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate(refused, allowed)}
		t.DialContext = d.DialContext
	}
	return &http.Client{Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// clientFor returns the client for an attempt at the endpoint: the
// engine's, unless --webhook-block-private is on and the target's account
// allows private hosts or ranges (baton.SettingAllowedPrivate), as the
// claim read the list with the endpoint: an attempt reads nothing more.
func (e *Engine) clientFor(ep *endpoint) *http.Client {
	if !e.blockPrivate || e.fixedClient || len(ep.allowed) == 0 {
		return e.client
	}
	key, refused, allowed, ok := allowance(ep)
	if !ok {
		return e.client
	}
	return e.pooledClient(key, refused, allowed)
}

// allowance is what the endpoint's allow-list lets an attempt dial: the
// addresses refused refuses (nil: none) outside the allowed ranges, and a
// key that names that policy; ok false when the list changes nothing for
// the endpoint. Ranges are checked on the address dialed. A host named on
// the list may be at any private address but those of
// baton.OperatorOnlyAddr (the machine itself, a cloud's metadata service),
// unless a range on the list holds them or the name is one only the
// operator lists (localhost).
func allowance(ep *endpoint) (key string, refused func(netip.Addr) bool, allowed []netip.Prefix, ok bool) {
	host := ""
	if u, err := url.Parse(ep.url); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	named := false
	for _, entry := range ep.allowed {
		if p, ok := baton.AllowPrefix(entry); ok {
			allowed = append(allowed, p)
		} else if entry == host {
			named = true
		}
	}
	switch {
	case named && baton.OperatorOnlyEntry(host):
		return "*", nil, nil, true
	case len(allowed) == 0 && !named:
		return "", nil, nil, false
	}
	keys := make([]string, len(allowed))
	for i, p := range allowed {
		keys[i] = p.String()
	}
	slices.Sort(keys)
	key, refused = strings.Join(keys, ","), Private
	if named {
		key, refused = "named:"+key, baton.OperatorOnlyAddr
	}
	return key, refused, allowed, true
}

// pooledClient returns the client for an allow-list, made once.
func (e *Engine) pooledClient(key string, refused func(netip.Addr) bool, allowed []netip.Prefix) *http.Client {
	e.clientsMu.Lock()
	defer e.clientsMu.Unlock()
	if c, ok := e.clients[key]; ok {
		return c
	}
	if e.clients == nil {
		e.clients = map[string]*http.Client{}
	}
	c := newClient(e.workers, refused, allowed)
	e.clients[key] = c
	return c
}

// CheckURL reports, as a courtesy when a bot's URL is set, whether the URL's
// host resolves to an address --webhook-block-private refuses; the check
// at connect time is the guarantee. A name that does not resolve (yet)
// passes.
func CheckURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "" {
		return nil
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil
		}
	}
	for _, a := range addrs {
		if Private(a) {
			return &privateError{addr: a.Unmap()}
		}
	}
	return nil
}
