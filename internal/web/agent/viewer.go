package agent

import (
	"context"
	"strings"
)

// viewers records that the calling person is viewing the conversation and
// returns the others viewing it (on any process sharing the database), as
// the page shows them. Not knowing is shown as nobody: the page asks again
// in a few seconds.
func (h *Handler) viewers(ctx context.Context, accountID, displayID int64) string {
	names, err := h.app.Viewing(ctx, accountID, displayID)
	if err != nil {
		return ""
	}
	return strings.Join(names, ", ")
}
