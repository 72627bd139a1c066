package storetest

import (
	"fmt"

	"testing"

	"github.com/batonhq/baton/internal/store"
)

// testLiveEvents: the live channel's reads of the log. A read after an id
// also returns the ids asked for again (read past before their commit),
// whatever their count; a read by ids keeps their order and leaves out
// those not in the log.
func testLiveEvents(t *testing.T, s *store.Store) {
	ctx := t.Context()
	acc := newAccount(t, s)
	var ids []int64
	write(t, s, func(q *store.Queries) error {
		for i := range 6 {
			e := &store.LiveEvent{AccountID: acc.ID, Name: "typing_on", Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: at}
			if err := q.CreateLiveEvent(ctx, e); err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	got := func(es []*store.LiveEvent, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, e := range es {
			if e.AccountID != acc.ID || e.Name != "typing_on" {
				t.Errorf("live event %d read as %+v", e.ID, e)
			}
			out = append(out, e.ID)
		}
		return out
	}
	q := s.Read()
	same(t, "after the fourth, also none", got(q.LiveEventsSince(ctx, ids[3], nil, 10)), []int64{ids[4], ids[5]})
	same(t, "after the fourth, also the second", got(q.LiveEventsSince(ctx, ids[3], []int64{ids[1]}, 10)),
		[]int64{ids[1], ids[4], ids[5]})
	same(t, "after the fourth, also three and one unknown",
		got(q.LiveEventsSince(ctx, ids[3], []int64{ids[2], ids[0], ids[1], ids[5] + 100}, 10)),
		[]int64{ids[0], ids[1], ids[2], ids[4], ids[5]})
	same(t, "the limit", got(q.LiveEventsSince(ctx, ids[3], []int64{ids[0], ids[1]}, 2)), []int64{ids[0], ids[1]})
	same(t, "by ids, in their order", got(q.LiveEventsByID(ctx, []int64{ids[5], ids[0], ids[5] + 100, ids[2]})),
		[]int64{ids[5], ids[0], ids[2]})
}
