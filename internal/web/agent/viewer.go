package agent

import (
	"slices"
	"sync"
	"time"
)

// viewerTTL is how long a person counts as viewing a conversation after
// their page last asked for it (the page asks every few seconds).
const viewerTTL = 12 * time.Second

// viewers remembers who has which conversation open, so that two people
// do not answer the same customer unawares. It is per process: on several
// processes behind a load balancer a person sees the viewers that their
// own process serves.
type viewers struct {
	mu   sync.Mutex
	seen map[viewedConversation]map[int64]viewer
}

type viewedConversation struct{ accountID, displayID int64 }

type viewer struct {
	name string
	at   time.Time
}

// view records that the user is viewing the conversation now and returns
// the names of the others viewing it, sorted.
func (v *viewers) view(now time.Time, accountID, displayID, userID int64, name string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[viewedConversation]map[int64]viewer{}
	}
	k := viewedConversation{accountID, displayID}
	m := v.seen[k]
	if m == nil {
		m = map[int64]viewer{}
		v.seen[k] = m
	}
	m[userID] = viewer{name: name, at: now}
	var others []string
	for id, x := range m {
		switch {
		case now.Sub(x.at) > viewerTTL:
			delete(m, id)
		case id != userID:
			others = append(others, x.name)
		}
	}
	if len(v.seen) > 10_000 { // forget conversations nobody looked at lately
		for k2, m2 := range v.seen {
			for id, x := range m2 {
				if now.Sub(x.at) > viewerTTL {
					delete(m2, id)
				}
			}
			if len(m2) == 0 {
				delete(v.seen, k2)
			}
		}
	}
	slices.Sort(others)
	return others
}
