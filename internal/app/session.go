package app

import (
	"cmp"
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Session kinds, for the surfaces.
const (
	SessionWeb    = store.SessionWeb    // the agent app, by cookie
	SessionDevice = store.SessionDevice // Chatwoot's clients, by devise-token-auth headers
)

// Session lifetimes: a browser session of the agent app lasts two weeks;
// a device signed in with devise-token-auth two months, as Chatwoot's; a
// sign-in link (SignInLink) five minutes.
const (
	WebSessionLifetime    = 14 * 24 * time.Hour
	DeviceSessionLifetime = 60 * 24 * time.Hour
	SignInLinkLifetime    = 5 * time.Minute
)

// sessionLink is the kind of a sign-in link's row among the sessions: it
// signs no request in; it is used once, for a session of another kind.
const sessionLink = "link"

// Sign-in limits: failed attempts per account (e-mail) and per client
// address within signInWindow. A limited sign-in is refused before the
// password is checked.
const (
	signInWindow         = 15 * time.Minute
	signInFailsPerEmail  = 10
	signInFailsPerAddr   = 50
	signInLimiterEntries = 100_000
)

var (
	errBadCredentials = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Invalid login credentials. Please try again."}
	errSignInLimited  = &baton.Error{Code: baton.ERATELIMIT, Message: "Too many sign-in attempts. Try again later."}
	errSessionEnded   = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "You need to sign in or sign up before continuing."}
)

// SignInInput is a sign-in attempt.
type SignInInput struct {
	Email    string
	Password string
	Addr     string // the client's address, for the rate limit
	Kind     string // store.SessionWeb or store.SessionDevice
	Client   string // a device's client id
	// Link, instead of a password, is a sign-in link's token
	// (SignInLink): used once, within SignInLinkLifetime.
	Link string
}

// SignedIn is a new session: its token, shown once, and when it ends.
type SignedIn struct {
	User      *baton.User
	Token     string
	ExpiresAt time.Time
}

// SignIn checks an e-mail and password, or a sign-in link, and starts a
// session. Wrong credentials answer the same, in the same time, whether or
// not the e-mail is known.
func (a *App) SignIn(ctx context.Context, in SignInInput) (*SignedIn, error) {
	email := baton.NormalizeEmail(in.Email)
	now := a.Now()
	if !a.signIns.allowed(now, email, in.Addr) {
		return nil, errSignInLimited
	}
	u, err := a.store.Read().FindUserByEmail(ctx, email)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		if in.Link == "" {
			auth.CheckPassword(dummyHash(), in.Password) // the same time as a known e-mail
		} // a link is checked without bcrypt, known e-mail or not
		a.signIns.failed(now, email, in.Addr)
		return nil, errBadCredentials
	} else if err != nil {
		return nil, err
	}
	if in.Link != "" {
		return a.signInWithLink(ctx, u, in)
	}
	if !auth.CheckPassword(u.PasswordHash, in.Password) {
		a.signIns.failed(now, email, in.Addr)
		return nil, errBadCredentials
	}
	a.signIns.succeeded(email)
	return a.startSession(ctx, u, in, nil)
}

// signInWithLink signs the user in with a sign-in link's token, which it
// uses up: of two sign-ins with one link at once, one gets the session.
func (a *App) signInWithLink(ctx context.Context, u *baton.User, in SignInInput) (*SignedIn, error) {
	now := a.Now()
	hash := auth.HashToken(in.Link)
	s, err := a.store.Read().FindSessionByHash(ctx, hash)
	if err != nil || s.Kind != sessionLink || s.UserID != u.ID || !now.Before(s.ExpiresAt) {
		if err != nil && baton.ErrorCode(err) != baton.ENOTFOUND {
			return nil, err
		}
		a.signIns.failed(now, u.Email, in.Addr)
		return nil, errBadCredentials
	}
	signed, err := a.startSession(ctx, u, in, func(q *store.Queries) error { return q.DeleteSession(ctx, hash) })
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, errBadCredentials // used meanwhile
	}
	return signed, err
}

// SignInLink makes a link's token that signs the user in once, within
// SignInLinkLifetime, as Chatwoot's Platform API users/{id}/login makes
// its sso_auth_token: for a platform app that manages the user. It
// returns the user's e-mail beside it, which the link names too.
func (a *App) SignInLink(ctx context.Context, userID int64) (email, token string, err error) {
	if _, err := platform(ctx); err != nil {
		return "", "", err
	}
	token = auth.NewSessionToken()
	now := a.Now()
	err = a.store.Write(ctx, func(q *store.Queries) error {
		u, err := q.FindUser(ctx, userID)
		if err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleUser, userID); err != nil {
			return err
		}
		email = u.Email
		if _, err := q.DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		return q.CreateSession(ctx, &store.Session{UserID: userID, Kind: sessionLink, Hash: auth.HashToken(token),
			CreatedAt: now, ExpiresAt: now.Add(SignInLinkLifetime)})
	})
	return email, token, err
}

// startSession starts a session of the sign-in's kind for the user, in
// the transaction of first, when not nil.
func (a *App) startSession(ctx context.Context, u *baton.User, in SignInInput, first func(q *store.Queries) error) (*SignedIn, error) {
	now := a.Now()
	life := WebSessionLifetime
	if in.Kind == store.SessionDevice {
		life = DeviceSessionLifetime
	} else {
		in.Kind, in.Client = store.SessionWeb, ""
	}
	token := auth.NewSessionToken()
	s := &store.Session{UserID: u.ID, Kind: in.Kind, Client: in.Client, Hash: auth.HashToken(token),
		CreatedAt: now, ExpiresAt: now.Add(life)}
	if err := a.store.Write(ctx, func(q *store.Queries) error {
		if first != nil {
			if err := first(q); err != nil {
				return err
			}
		}
		if _, err := q.DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		return q.CreateSession(ctx, s)
	}); err != nil {
		return nil, err
	}
	return &SignedIn{User: u, Token: token, ExpiresAt: s.ExpiresAt}, nil
}

// AuthenticateSession returns the user of a session token as an actor. A
// device session also needs its client id and the user's e-mail (uid), as
// devise-token-auth checks them; a web session is found by token alone.
func (a *App) AuthenticateSession(ctx context.Context, token, kind, client, uid string) (*baton.Actor, error) {
	if token == "" {
		return nil, errSessionEnded
	}
	q := a.store.Read()
	s, err := q.FindSessionByHash(ctx, auth.HashToken(token))
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, errSessionEnded
	} else if err != nil {
		return nil, err
	}
	if s.Kind != kind || !a.Now().Before(s.ExpiresAt) || (kind == store.SessionDevice && s.Client != client) {
		return nil, errSessionEnded
	}
	u, err := q.FindUser(ctx, s.UserID)
	if err != nil {
		return nil, errSessionEnded
	}
	if kind == store.SessionDevice && baton.NormalizeEmail(uid) != u.Email {
		return nil, errSessionEnded
	}
	return &baton.Actor{Kind: baton.ActorUser, User: u, Name: u.AvailableName()}, nil
}

// SignOut ends the session of the token. An unknown token is not found.
func (a *App) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return baton.ErrNotFound
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		return q.DeleteSession(ctx, auth.HashToken(token))
	})
}

// dummyHash is a bcrypt hash checked when the e-mail is unknown.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("not the password of anyone")
	return h
})

// signInLimiter counts failed sign-ins per e-mail and per address in fixed
// windows. It is per process: with several processes an attacker gets the
// limit once per process, still a small number. Only failures make
// entries, and an IPv6 client counts by its /64, which one host holds.
// When the table is full of live windows, the failures of keys it cannot
// hold are counted together (overflow), under signInOverflowFails: filling
// the table does not lift the limit from the rest.
type signInLimiter struct {
	mu       sync.Mutex
	windows  map[string]*signInWindowCount
	overflow signInWindowCount
	size     int // the table's bound; signInLimiterEntries when 0
}

// signInOverflowFails bounds the failures of all the keys a full table
// could not hold, in a window.
const signInOverflowFails = 1_000

type signInWindowCount struct {
	start time.Time
	n     int
}

// live returns the key's window, or nil when it has none or it ended.
func (l *signInLimiter) live(now time.Time, key string) *signInWindowCount {
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= signInWindow {
		return nil
	}
	return w
}

// under reports whether the key has fewer failures than limit in its
// window; a key the full table did not hold answers for the overflow.
func (l *signInLimiter) under(now time.Time, key string, limit int) bool {
	if w := l.live(now, key); w != nil {
		return w.n < limit
	}
	if now.Sub(l.overflow.start) < signInWindow && l.overflow.n > 0 {
		return l.overflow.n < signInOverflowFails
	}
	return true
}

// fail counts a failure of the key.
func (l *signInLimiter) fail(now time.Time, key string) {
	if w := l.live(now, key); w != nil {
		w.n++
		return
	}
	if l.windows == nil {
		l.windows = map[string]*signInWindowCount{}
	}
	size := cmp.Or(l.size, signInLimiterEntries)
	if len(l.windows) >= size {
		for k := range l.windows { // drop ended windows before growing
			if l.live(now, k) == nil {
				delete(l.windows, k)
			}
		}
	}
	if len(l.windows) < size {
		l.windows[key] = &signInWindowCount{start: now, n: 1}
		return
	}
	if now.Sub(l.overflow.start) >= signInWindow {
		l.overflow = signInWindowCount{start: now}
	}
	l.overflow.n++
}

func (l *signInLimiter) allowed(now time.Time, email, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.under(now, "e:"+email, signInFailsPerEmail) && l.under(now, "a:"+addrKey(addr), signInFailsPerAddr)
}

// allowedEmail and failedEmail count a password guess made without a
// sign-in, by the e-mail's count alone: a signed-in user's current
// password, checked before a change of it.
func (l *signInLimiter) allowedEmail(now time.Time, email string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.under(now, "e:"+email, signInFailsPerEmail)
}

func (l *signInLimiter) failedEmail(now time.Time, email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail(now, "e:"+email)
}

func (l *signInLimiter) failed(now time.Time, email, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail(now, "e:"+email)
	l.fail(now, "a:"+addrKey(addr))
}

// addrKey is what a client address counts as: an IPv6 address by its /64,
// the rest as they are.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addr
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

func (l *signInLimiter) succeeded(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.windows, "e:"+email)
}
