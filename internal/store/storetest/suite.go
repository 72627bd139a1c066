package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// suite is the conformance suite: each test gets a fresh store of its own.
var suite = []struct {
	name string
	test func(t *testing.T, s *store.Store)
}{
	{"Account", testAccount},
	{"AccountForCaller", testAccountForCaller},
	{"AccountCascade", testAccountCascade},
	{"NextDisplayID", testNextDisplayID},
	{"NextDisplayIDConcurrent", testNextDisplayIDConcurrent},
	{"LockAccount", testLockAccount},
	{"WriteRollback", testWriteRollback},
	{"WriteConcurrent", testWriteConcurrent},
	{"WritePanic", testWritePanic},
	{"WriteAfterDeadlock", testWriteAfterDeadlock},
	{"SearchFoldsLetters", testSearchFoldsLetters},
	{"PlatformApp", testPlatformApp},
	{"User", testUser},
	{"AccountUser", testAccountUser},
	{"RemoveAccountUserLetsGo", testRemoveAccountUserLetsGo},
	{"AccessToken", testAccessToken},
	{"TokenOwner", testTokenOwner},
	{"Inbox", testInbox},
	{"InboxMembers", testInboxMembers},
	{"Contact", testContact},
	{"ContactList", testContactList},
	{"ContactConversationTally", testContactConversationTally},
	{"ContactInbox", testContactInbox},
	{"WidgetVisitor", testWidgetVisitor},
	{"Conversation", testConversation},
	{"ConversationNulls", testConversationNulls},
	{"ConversationLabels", testConversationLabels},
	{"ConversationList", testConversationList},
	{"ConversationSearch", testConversationSearch},
	{"ConversationSearchMessages", testConversationSearchMessages},
	{"ConversationRepliesFirst", testConversationRepliesFirst},
	{"ConversationViews", testConversationViews},
	{"PublicConversation", testPublicConversation},
	{"Surroundings", testSurroundings},
	{"MessageTarget", testMessageTarget},
	{"EventDeliveries", testEventDeliveries},
	{"Message", testMessage},
	{"OptimisticWrite", testOptimisticWrite},
	{"MessageList", testMessageList},
	{"Attachment", testAttachment},
	{"LiveEvents", testLiveEvents},
	{"Session", testSession},
	{"Presence", testPresence},
	{"Team", testTeam},
	{"CannedResponse", testCannedResponse},
	{"Handoff", testHandoff},
	{"Report", testReport},
	{"OnlineCandidates", testOnlineCandidates},
	{"DeliveryLanes", testDeliveryLanes},
	{"DeliveryClaimEndpoint", testDeliveryClaimEndpoint},
	{"DeliveryClaimLimit", testDeliveryClaimLimit},
	{"DeliveryTargetDelete", testDeliveryTargetDelete},
	{"DeliveryRecordAttempts", testDeliveryRecordAttempts},
	{"DeliveryRecordAttemptsAlone", testDeliveryRecordAttemptsAlone},
	{"DeliveryBreaker", testDeliveryBreaker},
	{"DeliveryPrune", testDeliveryPrune},
	{"Webhook", testWebhook},
	{"DeliveryTargets", testDeliveryTargets},
}

// Run runs the conformance suite, which every database behind the store must
// pass, with parallel subtests. open returns a fresh, migrated, empty store
// and closes it when the test ends.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Helper()
	for _, tt := range suite {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, open(t))
		})
	}
}

// at is the moment the suite's rows are written: in a zone other than UTC and
// with nanoseconds, so that a test sees what the round trip keeps.
var at = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// stored is t as the store gives it back: microseconds, in UTC.
func stored(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// storedPtr is stored for an optional time.
func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := stored(*t)
	return &s
}

func ptr[T any](v T) *T { return &v }

// document is a JSON document with every kind of value, as encoding/json
// decodes it, so that it compares equal after a round trip.
func document() map[string]any {
	return map[string]any{
		"string":  "héllo <wörld> & \"quotes\" ✓",
		"number":  42.0,
		"float":   -1.25,
		"bool":    true,
		"null":    nil,
		"array":   []any{"a", 1.0, false, map[string]any{"k": "v"}},
		"nested":  map[string]any{"deep": map[string]any{"er": []any{}}},
		"empty":   map[string]any{},
		"unicode": "日本語 🎉",
	}
}

var seq atomic.Int64

// unique returns a string no other call returns, for e-mails, identifiers
// and tokens.
func unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

// write runs fn in a write transaction and fails the test on an error.
func write(t *testing.T, s *store.Store, fn func(q *store.Queries) error) {
	t.Helper()
	if err := s.Write(t.Context(), fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// same fails the test when got and want differ, showing both as JSON.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// wantCode fails the test unless err carries the baton error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := baton.ErrorCode(err); got != code {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

// wantNotFound fails the test unless err is baton.ErrNotFound's code.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, baton.ENOTFOUND)
}

// count returns the result of a COUNT(*) query on the writer.
func count(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// errRollback is what a test's write function fails with on purpose.
var errRollback = errors.New("roll it back")

// newAccount creates an account.
func newAccount(t *testing.T, s *store.Store) *baton.Account {
	t.Helper()
	a := &baton.Account{Name: unique("Account "), Locale: "en", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateAccount(t.Context(), a) })
	return a
}

// newUser creates a user and, when accountID is not zero, makes them an
// agent of the account.
func newUser(t *testing.T, s *store.Store, accountID int64) *baton.User {
	t.Helper()
	u := &baton.User{Name: unique("User "), Email: unique("user") + "@example.com", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateUser(t.Context(), u); err != nil || accountID == 0 {
			return err
		}
		return q.AddAccountUser(t.Context(), &baton.AccountUser{AccountID: accountID, UserID: u.ID, Role: baton.RoleAgent, CreatedAt: at})
	})
	return u
}

// newInbox creates an API inbox.
func newInbox(t *testing.T, s *store.Store, accountID int64) *baton.Inbox {
	t.Helper()
	i := &baton.Inbox{AccountID: accountID, Name: unique("Inbox "), ChannelType: baton.ChannelAPI,
		Identifier: unique("identifier"), Timezone: "UTC", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateInbox(t.Context(), i) })
	return i
}

// newContact creates a contact with an e-mail.
func newContact(t *testing.T, s *store.Store, accountID int64) *baton.Contact {
	t.Helper()
	c := &baton.Contact{AccountID: accountID, Name: unique("Contact "), Email: unique("contact") + "@example.com",
		CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateContact(t.Context(), c) })
	return c
}

// newContactInbox creates a contact inbox.
func newContactInbox(t *testing.T, s *store.Store, contactID, inboxID int64) *baton.ContactInbox {
	t.Helper()
	ci := &baton.ContactInbox{ContactID: contactID, InboxID: inboxID, SourceID: unique("source"),
		PubsubToken: unique("pubsub"), CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateContactInbox(t.Context(), ci) })
	return ci
}

// thread is an account with an inbox, a contact in it and a conversation.
type thread struct {
	account      *baton.Account
	inbox        *baton.Inbox
	contact      *baton.Contact
	contactInbox *baton.ContactInbox
	conversation *baton.Conversation
}

// newThread creates an account with one conversation.
func newThread(t *testing.T, s *store.Store) *thread {
	t.Helper()
	th := &thread{account: newAccount(t, s)}
	th.inbox = newInbox(t, s, th.account.ID)
	th.contact = newContact(t, s, th.account.ID)
	th.contactInbox = newContactInbox(t, s, th.contact.ID, th.inbox.ID)
	th.conversation = newConversation(t, s, th.contactInbox, th.account.ID, nil)
	return th
}

// newConversation creates a conversation of the contact inbox, with its
// display id taken in the same transaction; change, when set, changes it
// before it is written.
func newConversation(t *testing.T, s *store.Store, ci *baton.ContactInbox, accountID int64, change func(c *baton.Conversation)) *baton.Conversation {
	t.Helper()
	c := &baton.Conversation{AccountID: accountID, InboxID: ci.InboxID, ContactID: ci.ContactID, ContactInboxID: ci.ID,
		UUID: unique("uuid-"), Status: baton.StatusOpen, Priority: baton.PriorityNone,
		LastActivityAt: at, CreatedAt: at, UpdatedAt: at}
	if change != nil {
		change(c)
	}
	write(t, s, func(q *store.Queries) (err error) {
		if c.DisplayID, err = q.NextDisplayID(t.Context(), accountID); err != nil {
			return err
		}
		return q.CreateConversation(t.Context(), c)
	})
	return c
}

// newMessage creates an incoming message in the conversation; change, when
// set, changes it before it is written.
func newMessage(t *testing.T, s *store.Store, c *baton.Conversation, content string, change func(m *baton.Message)) *baton.Message {
	t.Helper()
	m := &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
		MessageType: baton.MessageIncoming, Content: &content, SenderType: baton.SenderContact, SenderID: c.ContactID,
		CreatedAt: at, UpdatedAt: at}
	if change != nil {
		change(m)
	}
	write(t, s, func(q *store.Queries) error { return q.CreateMessage(t.Context(), m) })
	return m
}
