package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testAttachment(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	m1 := newMessage(t, s, th.conversation, "with files", nil)
	m2 := newMessage(t, s, th.conversation, "with a file", nil)
	m3 := newMessage(t, s, th.conversation, "without", nil)
	attach := func(m *baton.Message, name string, size int64) *baton.Attachment {
		a := &baton.Attachment{MessageID: m.ID, AccountID: m.AccountID, FileType: baton.FileImage, FileName: name,
			ContentType: "image/png", ByteSize: size, StorageKey: unique("key/"), CreatedAt: at}
		write(t, s, func(q *store.Queries) error { return q.CreateAttachment(ctx, a) })
		a.CreatedAt = stored(at)
		return a
	}
	a1 := attach(m1, "a.png", 5<<30) // over 32 bits
	a2 := attach(m1, "b.png", 1)
	a3 := attach(m2, "c.png", 0)

	got, err := s.Read().FindAttachment(ctx, a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "attachment", got, a1)
	byMessage, err := s.Read().ListAttachments(ctx, []int64{m1.ID, m2.ID, m3.ID})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "attachments by message", byMessage, map[int64][]*baton.Attachment{m1.ID: {a1, a2}, m2.ID: {a3}})
	if none, err := s.Read().ListAttachments(ctx, nil); err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListAttachments of no messages: %v, %v; want an empty map", none, err)
	}
	keys, err := s.Read().StorageKeysOfMessage(ctx, m1.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "storage keys of m1", keys, []string{a1.StorageKey, a2.StorageKey})

	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateAttachment(ctx, &baton.Attachment{MessageID: m3.ID + 1000, AccountID: th.account.ID, FileType: baton.FileFile,
			FileName: "x", ContentType: "text/plain", StorageKey: "x", CreatedAt: at})
	})
	wantNotFound(t, "CreateAttachment on a missing message", err)

	write(t, s, func(q *store.Queries) error { return q.DeleteAttachments(ctx, m1.ID) })
	_, err = s.Read().FindAttachment(ctx, a1.ID)
	wantNotFound(t, "FindAttachment after delete", err)
	if _, err := s.Read().FindAttachment(ctx, a3.ID); err != nil {
		t.Errorf("deleting m1's attachments took m2's: %v", err)
	}
	if keys, err := s.Read().StorageKeysOfMessage(ctx, m1.ID); err != nil || len(keys) != 0 {
		t.Errorf("storage keys after delete: %v, %v", keys, err)
	}
}
