package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// QuietMessagesAcrossStores writes quiet messages (store.CreateQuietMessage)
// into the same conversations in crossing orders through two stores on one
// database, as two processes of a scaled-out deployment do: their
// statements write several conversations each, and two that lock the same
// ones in different orders would wait for each other until the database
// ends one with an error (a deadlock). Every message must be written, once.
func QuietMessagesAcrossStores(t *testing.T, a, b *store.Store) {
	t.Helper()
	ctx := t.Context()
	account := newAccount(t, a)
	inbox := newInbox(t, a, account.ID)
	const convs, writers, each = 6, 24, 10
	cis := make([]*baton.ContactInbox, convs)
	ids := make([]int64, convs)
	now := time.Now()
	for k := range cis {
		contact := &baton.Contact{AccountID: account.ID, Name: unique("Contact "), LastActivityAt: &now, CreatedAt: at, UpdatedAt: at}
		write(t, a, func(q *store.Queries) error { return q.CreateContact(ctx, contact) })
		cis[k] = newContactInbox(t, a, contact.ID, inbox.ID)
		c := newConversation(t, a, cis[k], account.ID, func(c *baton.Conversation) { c.WaitingSince = &now })
		ids[k] = c.DisplayID
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		s := []*store.Store{a, b}[w%2]
		wg.Go(func() {
			for i := range each {
				k := (w*7 + i*(1+w%5)) % convs
				content := fmt.Sprint(w, "-", i)
				m := &baton.Message{MessageType: baton.MessageIncoming, Content: &content, SenderType: baton.SenderContact,
					CreatedAt: time.Now(), UpdatedAt: time.Now()}
				_, ok, err := s.CreateQuietMessage(ctx, store.QuietMessage{InboxIdentifier: inbox.Identifier,
					SourceID: cis[k].SourceID, DisplayID: ids[k], Message: m, Live: &store.LiveEvent{Name: baton.EventMessageCreated},
					FloodLimit: 1000})
				switch {
				case err != nil:
					errs <- err
				case !ok:
					errs <- fmt.Errorf("message %s to conversation %d was not quiet", content, ids[k])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := a.DB().QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE account_id = $1`, account.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Fatalf("%d messages written, want %d", n, writers*each)
	}
}
