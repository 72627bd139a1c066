package agent

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
)

// Cookies. The session cookie holds the session token (stored only as a
// hash); the login cookie holds a random value that the login form repeats
// (a double-submit token: the form is posted before there is a session).
const (
	sessionCookie = "baton_session"
	loginCookie   = "baton_login"
)

// base is what every page shows around its content.
type base struct {
	Title     string
	User      *baton.User
	AccountID int64
	Accounts  []accountLink
	IsAdmin   bool
	CSRF      string
	Section   string // highlighted in the navigation
	// Availability is the user's own in this account: online, busy or
	// offline, what routing reads.
	Availability string
	// Pubsub is the user's token for /cable, where the page hears of
	// changes at once.
	Pubsub string
}

// member reports whether the user is a member of the page's account.
func (b base) member() bool {
	for _, a := range b.Accounts {
		if a.ID == b.AccountID {
			return true
		}
	}
	return false
}

type accountLink struct {
	ID   int64
	Name string
}

type sessionKey struct{}

// sessionInfo is the signed-in request's session, in its context.
type sessionInfo struct {
	token string
	base  base
}

// baseFrom returns the page frame of a signed-in request.
func baseFrom(r *http.Request) (base, bool) {
	s, ok := r.Context().Value(sessionKey{}).(*sessionInfo)
	if !ok {
		return base{}, false
	}
	return s.base, true
}

// secure reports whether cookies must be Secure: served over HTTPS, or
// behind a proxy whose public URL is https.
func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(h.publicURL(), "https://")
}

// signedIn runs next for a signed-in user with the actor in the context;
// anyone else is sent to the sign-in page (or refused, for the script).
func (h *Handler) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var actor *baton.Actor
		if err == nil {
			actor, err = h.app.AuthenticateSession(r.Context(), c.Value, app.SessionWeb, "", "")
		}
		if err != nil {
			if r.Method != http.MethodGet || fromScript(r) {
				http.Error(w, "Sign in first.", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/app/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		ctx := baton.NewContextWithActor(r.Context(), actor)
		b := base{User: actor.User, CSRF: auth.CSRFToken(c.Value)}
		id, _ := pathID(r, "account_id")
		if _, _, aus, err := h.app.Profile(ctx); err == nil {
			for _, au := range aus {
				name, _ := h.app.AccountName(ctx, au.AccountID)
				b.Accounts = append(b.Accounts, accountLink{ID: au.AccountID, Name: name})
				if au.AccountID == id {
					b.Availability = au.Availability.String()
				}
			}
		}
		if id != 0 {
			b.AccountID = id
			b.IsAdmin = h.app.IsAdmin(ctx, id)
			b.Pubsub, _ = h.app.PubsubToken(ctx)
		}
		ctx = context.WithValue(ctx, sessionKey{}, &sessionInfo{token: c.Value, base: b})
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Files come as multipart, up to the upload limit; any other
			// form is text, read whole into memory to be parsed.
			limit := int64(maxFormBytes)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				limit = h.maxUploadBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			textErr := formText(r)
			if r.MultipartForm != nil {
				// Its files past 32 KiB are on disk. The server removes
				// those of the request it made, not of this copy of it.
				defer r.MultipartForm.RemoveAll()
			}
			if textErr == errFormTooLarge {
				h.fail(w, r, textErr)
				return
			}
			if !h.sameOrigin(r) || !auth.ValidCSRFToken(c.Value, csrfOf(r)) {
				http.Error(w, "The form has expired or did not come from this site. Reload the page and try again.", http.StatusForbidden)
				return
			}
			if textErr != nil {
				h.fail(w, r, textErr)
				return
			}
		}
		next(w, r)
	}
}

// csrfOf is the CSRF token a request carries: the X-CSRF-Token header of
// the script's calls, or the csrf_token field of a form.
func csrfOf(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		_ = r.ParseMultipartForm(32 << 10)
	}
	return r.PostFormValue("csrf_token")
}

// maxFormBytes is the largest form without files: the longest message
// (baton.MaxContentLength characters of up to four bytes, each byte
// written as three when it is not ASCII) with room to spare. Go reads
// such a form whole into memory, up to the body's limit.
const maxFormBytes = 4 << 20

var (
	// errFormText refuses a form with a NUL character or bytes that are
	// not UTF-8 in it, as the server refuses them in a path or query
	// string.
	errFormText = baton.Errorf(baton.EBADREQUEST, "The form must be UTF-8 text without NUL characters.")
	// errFormTooLarge refuses a form past its limit.
	errFormTooLarge = baton.Errorf(baton.ETOOLARGE, "The form is too large.")
)

// formText parses a posted form and checks its names, values and file
// names: no database stores a NUL character (PostgreSQL refuses it in
// text) or text that is not UTF-8, and no handler should have to think of
// them. A form past its limit is errFormTooLarge; one that does not parse
// otherwise is the handlers' to refuse.
func formText(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if r.MultipartForm == nil {
			err = r.ParseMultipartForm(32 << 10)
		}
	} else {
		err = r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || errors.Is(err, multipart.ErrMessageTooLarge) {
		return errFormTooLarge
	}
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	for k, vs := range r.PostForm { // multipart values are copied here too
		if bad(k) || slices.ContainsFunc(vs, bad) {
			return errFormText
		}
	}
	if r.MultipartForm != nil {
		for _, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				if bad(fh.Filename) {
					return errFormText
				}
			}
		}
	}
	return nil
}

// sameOrigin refuses a state-changing request whose Origin header names
// another site: a second line behind the CSRF token.
func (h *Handler) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// admin runs next for administrators of the account in the path; agents
// are refused.
func (h *Handler) admin(next http.HandlerFunc) http.HandlerFunc {
	return h.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := baseFrom(r); !b.IsAdmin {
			accountID, err := pathID(r, "account_id")
			if err == nil {
				_, err = h.app.AccountName(r.Context(), accountID)
			}
			if err == nil {
				err = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Only administrators may see this page."}
			}
			h.fail(w, r, err)
			return
		}
		next(w, r)
	})
}

// loginPage is the data of the sign-in page.
type loginPage struct {
	base
	Email string
	Next  string
	Error string
	Token string
	// Link is a sign-in link's token (the Platform API's users/{id}/login
	// makes them): the page posts it, with Email, at once (its script) or
	// with a click, so that a link opened by a mail scanner or a preview
	// without script is not used up.
	Link string
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if link := q.Get("sso_auth_token"); link != "" && len(link) <= 256 {
		h.renderLoginPage(w, r, http.StatusOK, loginPage{Email: q.Get("email"), Link: link})
		return
	}
	h.renderLogin(w, r, http.StatusOK, "", "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, email, msg string) {
	h.renderLoginPage(w, r, status, loginPage{Email: email, Error: msg})
}

// renderLoginPage renders the sign-in page p with a new form token.
func (h *Handler) renderLoginPage(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	p.Token = auth.RandomString(32)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: p.Token, Path: "/app/login", HttpOnly: true,
		Secure: h.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	p.base, p.Next = base{Title: "Sign in"}, safeNext(r.FormValue("next"))
	h.render(w, status, "login", p)
}

// safeNext keeps a redirect after sign-in inside the app.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/app/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	email := r.PostFormValue("email")
	if formText(r) != nil {
		h.renderLogin(w, r, http.StatusBadRequest, "", baton.ErrorMessage(errFormText))
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !h.sameOrigin(r) || c.Value == "" || r.PostFormValue("csrf_token") != c.Value {
		h.renderLogin(w, r, http.StatusForbidden, email, "The form has expired. Please try again.")
		return
	}
	link := r.PostFormValue("sso_auth_token")
	s, err := h.app.SignIn(r.Context(), app.SignInInput{Email: email, Password: r.PostFormValue("password"), Link: link,
		Addr: clientAddr(r), Kind: app.SessionWeb})
	switch baton.ErrorCode(err) {
	case "":
	case baton.EUNAUTHORIZED:
		msg := "That e-mail and password do not match."
		if link != "" {
			msg = "That sign-in link has expired or was used already. Sign in with your password, or ask for a new link."
		}
		h.renderLogin(w, r, http.StatusUnauthorized, email, msg)
		return
	case baton.ERATELIMIT:
		h.renderLogin(w, r, http.StatusTooManyRequests, email, baton.ErrorMessage(err))
		return
	default:
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/app/login", MaxAge: -1})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.Token, Path: "/", HttpOnly: true,
		Secure: h.secure(r), SameSite: http.SameSiteLaxMode, Expires: s.ExpiresAt, MaxAge: int(time.Until(s.ExpiresAt).Seconds())})
	next := safeNext(r.PostFormValue("next"))
	if next == "" {
		next = "/app"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	s := r.Context().Value(sessionKey{}).(*sessionInfo)
	if err := h.app.SignOut(r.Context(), s.token); err != nil && baton.ErrorCode(err) != baton.ENOTFOUND {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: h.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/app/login", http.StatusSeeOther)
}

// home sends a signed-in user to their first account's waiting queue.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	if len(b.Accounts) == 0 {
		h.fail(w, r, &baton.Error{Code: baton.ENOTFOUND, Message: "You are not a member of any account."})
		return
	}
	http.Redirect(w, r, accountPath(b.Accounts[0].ID, "/conversations"), http.StatusSeeOther)
}

func accountPath(accountID int64, rest string) string {
	return "/app/accounts/" + itoa(accountID) + rest
}

// clientAddr is the client's address, for the sign-in limit: the
// server's middleware has put the address trusted proxies forwarded in
// RemoteAddr.
func clientAddr(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	return r.RemoteAddr
}

// setAvailability sets the user's availability in the account, which
// routing reads; back to where they were.
func (h *Handler) setAvailability(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	if err := h.app.SetAvailability(r.Context(), b.AccountID, r.FormValue("availability")); err != nil {
		h.fail(w, r, err)
		return
	}
	back := safeNext(r.FormValue("back"))
	if back == "" {
		back = accountPath(b.AccountID, "/conversations")
	}
	h.done(w, r, back)
}
