package storetest

import (
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testMessage(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	c := th.conversation
	m := newMessage(t, s, c, "", func(m *baton.Message) {
		m.MessageType, m.ContentType, m.Content = baton.MessageOutgoing, baton.ContentInputSelect, nil
		m.ContentAttributes, m.ExternalSourceIDs = document(), map[string]any{"slack": "1.2"}
		m.AdditionalAttributes, m.Status, m.SourceID = map[string]any{"campaign_id": 3.0}, baton.MessageDelivered, "wamid.1"
		m.Private, m.SenderType, m.SenderID = true, baton.SenderUser, 77
	})
	want := *m
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	got, err := s.Read().FindMessage(ctx, c.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "message", got, &want)
	if got.Content != nil {
		t.Errorf("message without content reads back with %q", *got.Content)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM messages WHERE id = $1 AND content IS NULL`, m.ID); n != 1 {
		t.Error("a message without content has content that is not NULL")
	}
	got, err = s.Read().FindInboxMessage(ctx, c.InboxID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "message by inbox", got, &want)

	// Empty content is content, not NULL.
	empty := newMessage(t, s, c, "", nil)
	if got, err := s.Read().FindMessage(ctx, c.ID, empty.ID); err != nil {
		t.Fatal(err)
	} else if got.Content == nil || *got.Content != "" {
		t.Errorf("empty content reads back as %v", got.Content)
	}

	other := newThread(t, s)
	_, err = s.Read().FindMessage(ctx, other.conversation.ID, m.ID)
	wantNotFound(t, "FindMessage in another conversation", err)
	_, err = s.Read().FindInboxMessage(ctx, other.inbox.ID, m.ID)
	wantNotFound(t, "FindInboxMessage in another inbox", err)
	err = s.Write(ctx, func(q *store.Queries) error {
		bad := *m
		bad.ConversationID = c.ID + other.conversation.ID + 1000
		return q.CreateMessage(ctx, &bad)
	})
	wantNotFound(t, "CreateMessage in a missing conversation", err)

	later := at.Add(time.Hour + 999)
	m.Content, m.ContentAttributes, m.Status, m.AdditionalAttributes, m.UpdatedAt = ptr("edited"), nil, baton.MessageRead, document(), later
	write(t, s, func(q *store.Queries) error { return q.UpdateMessage(ctx, m) })
	want = *m
	want.ContentAttributes, want.CreatedAt, want.UpdatedAt = map[string]any{}, stored(at), stored(later)
	got, err = s.Read().FindMessage(ctx, c.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated message", got, &want)
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.UpdateMessage(ctx, &baton.Message{ID: m.ID + empty.ID + 1000})
	})
	wantNotFound(t, "UpdateMessage of a missing id", err)
}

func testMessageList(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	c := th.conversation
	other := newThread(t, s)

	last, nonActivity, err := s.Read().LastMessages(ctx, c.ID)
	if err != nil || last != nil || nonActivity != nil {
		t.Errorf("LastMessages of an empty conversation: %v, %v, %v; want nil, nil, nil", last, nonActivity, err)
	}

	kinds := []func(m *baton.Message){
		func(m *baton.Message) {}, // 1 incoming
		func(m *baton.Message) { m.MessageType = baton.MessageOutgoing },                  // 2 outgoing
		func(m *baton.Message) { m.MessageType, m.Private = baton.MessageOutgoing, true }, // 3 private note
		func(m *baton.Message) { m.MessageType = baton.MessageActivity },                  // 4 activity
		func(m *baton.Message) {}, // 5 incoming
		func(m *baton.Message) { m.MessageType = baton.MessageOutgoing }, // 6 outgoing
	}
	ms := make([]*baton.Message, len(kinds)+1) // ms[1] is the first message
	for i, kind := range kinds {
		ms[i+1] = newMessage(t, s, c, "message", func(m *baton.Message) {
			kind(m)
			m.CreatedAt = at.Add(time.Duration(i+1) * time.Second)
		})
		newMessage(t, s, other.conversation, "elsewhere", nil) // ids of one conversation are not consecutive
	}
	list := func(f store.MessageFilter) []int64 {
		t.Helper()
		f.ConversationID = c.ID
		got, err := s.Read().ListMessages(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		return ids
	}
	ids := func(ns ...int) []int64 {
		var out []int64
		for _, n := range ns {
			out = append(out, ms[n].ID)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		filter store.MessageFilter
		want   []int64
	}{
		{"all, oldest first", store.MessageFilter{}, ids(1, 2, 3, 4, 5, 6)},
		{"the newest two", store.MessageFilter{Limit: 2}, ids(5, 6)},
		{"before", store.MessageFilter{Before: ms[5].ID}, ids(1, 2, 3, 4)},
		{"the newest two before", store.MessageFilter{Before: ms[5].ID, Limit: 2}, ids(3, 4)},
		{"before the first", store.MessageFilter{Before: ms[1].ID}, nil},
		{"after", store.MessageFilter{After: ms[2].ID}, ids(3, 4, 5, 6)},
		{"the oldest two after", store.MessageFilter{After: ms[2].ID, Limit: 2}, ids(3, 4)},
		{"after the last", store.MessageFilter{After: ms[6].ID}, nil},
		{"between", store.MessageFilter{After: ms[1].ID, Before: ms[6].ID}, ids(2, 3, 4, 5)},
		{"public", store.MessageFilter{Public: true}, ids(1, 2, 5, 6)},
		{"public after", store.MessageFilter{Public: true, After: ms[1].ID}, ids(2, 5, 6)},
		{"public before", store.MessageFilter{Public: true, Before: ms[5].ID, Limit: 1}, ids(2)},
		{"no private notes", store.MessageFilter{NoPrivate: true}, ids(1, 2, 4, 5, 6)},
	} {
		same(t, tc.name, list(tc.filter), tc.want)
	}

	lastIDs := func() (int64, int64) {
		t.Helper()
		last, nonActivity, err := s.Read().LastMessages(ctx, c.ID)
		if err != nil || last == nil || nonActivity == nil {
			t.Fatalf("LastMessages: %v, %v, %v", last, nonActivity, err)
		}
		return last.ID, nonActivity.ID
	}
	if last, nonActivity := lastIDs(); last != ms[6].ID || nonActivity != ms[6].ID {
		t.Errorf("LastMessages: %d and %d, want message %d twice", last, nonActivity, ms[6].ID)
	}
	// A note is the last non-activity message but not the last message;
	// an activity is neither.
	note := newMessage(t, s, c, "note", func(m *baton.Message) { m.MessageType, m.Private = baton.MessageOutgoing, true })
	newMessage(t, s, c, "resolved", func(m *baton.Message) { m.MessageType = baton.MessageActivity })
	if last, nonActivity := lastIDs(); last != ms[6].ID || nonActivity != note.ID {
		t.Errorf("LastMessages after a note and an activity: %d and %d, want message %d and the note %d", last, nonActivity, ms[6].ID, note.ID)
	}

	// Counting: messages 1 and 5 are incoming, created 1 s and 5 s after at;
	// the note and the activity above were created at at.
	since := func(d time.Duration) int64 { return stored(at.Add(d)).UnixMicro() }
	for _, tc := range []struct {
		name  string
		count func() (int, error)
		want  int
	}{
		{"incoming since 0", func() (int, error) { return s.Read().CountIncomingSince(ctx, c.ID, 0, 10) }, 2},
		{"incoming since 1 s", func() (int, error) { return s.Read().CountIncomingSince(ctx, c.ID, since(time.Second), 10) }, 1},
		{"incoming up to 1", func() (int, error) { return s.Read().CountIncomingSince(ctx, c.ID, 0, 1) }, 1},
		// The flood minute began with message 1, at 1 s, and holds all 8.
		{"flood minute", func() (int, error) { return s.Read().FloodCount(ctx, c.ID, since(0), 10) }, 8},
		{"flood minute up to 2", func() (int, error) { return s.Read().FloodCount(ctx, c.ID, since(0), 2) }, 2},
		{"flood minute begun before since", func() (int, error) { return s.Read().FloodCount(ctx, c.ID, since(time.Second), 10) }, 0},
	} {
		n, err := tc.count()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, n, tc.want)
		}
	}
	// The newest incoming message is message 5, created 5 s after at (the
	// other conversation's, newer, are not this one's); a conversation
	// without one has none.
	newMessage(t, s, other.conversation, "elsewhere, later", func(m *baton.Message) { m.CreatedAt = at.Add(time.Hour) })
	if got, err := s.Read().LastIncomingAt(ctx, c.ID); err != nil || got == nil || !got.Equal(stored(ms[5].CreatedAt)) {
		t.Errorf("LastIncomingAt: %v, %v; want %v", got, err, stored(ms[5].CreatedAt))
	}
	if got, err := s.Read().LastIncomingAt(ctx, c.ID+1_000_000); err != nil || got != nil {
		t.Errorf("LastIncomingAt of no conversation: %v, %v; want nil", got, err)
	}
	// A message a minute after it began begins the next one.
	newMessage(t, s, c, "later", func(m *baton.Message) { m.CreatedAt = at.Add(61 * time.Second) })
	if n, err := s.Read().FloodCount(ctx, c.ID, since(time.Second), 10); err != nil || n != 1 {
		t.Errorf("flood minute after a minute: %d, %v; want 1", n, err)
	}
	// A message after the note is both.
	newer := newMessage(t, s, c, "newer", nil)
	if last, nonActivity := lastIDs(); last != newer.ID || nonActivity != newer.ID {
		t.Errorf("LastMessages after a note and a message: %d and %d, want message %d twice", last, nonActivity, newer.ID)
	}
}
