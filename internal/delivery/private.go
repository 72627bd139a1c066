package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrPrivateAddress is the error of an attempt to reach a bot at an address
// that --webhook-block-private refuses.
var ErrPrivateAddress = errors.New("private address refused")

// privateError names the refused address.
type privateError struct{ addr netip.Addr }

func (e *privateError) Error() string {
	return fmt.Sprintf("%s is a loopback, private, link-local or multicast address, refused by --webhook-block-private", e.addr)
}

func (e *privateError) Is(target error) bool { return target == ErrPrivateAddress }

// Private reports whether an address is one a server that blocks private
// networks must not reach: loopback, private (RFC 1918, unique local),
// link-local, unspecified or multicast.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid()
}

// refusePrivate is a net.Dialer Control function: it sees the address
// actually dialed, after name resolution, so a name that resolves to a
// public address when checked and to a private one when used (DNS
// rebinding) is refused all the same.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dialing %q: %w", address, ErrPrivateAddress)
	}
	if Private(ap.Addr()) {
		return &privateError{addr: ap.Addr().Unmap()}
	}
	return nil
}

// newClient returns the engine's HTTP client: it follows no redirects (a
// 3xx is not an acknowledgement), keeps a connection per worker to a bot,
// and with blockPrivate refuses private addresses when connecting. It uses
// no proxy when blocking: the check must see the bot's address, not the
// proxy's.
func newClient(workers int, blockPrivate bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = workers
	if blockPrivate {
		t.Proxy = nil
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate}
		t.DialContext = d.DialContext
	}
	return &http.Client{Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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
