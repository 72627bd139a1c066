package baton_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/batonhq/baton"
)

// TestErrorIs: errors.Is compares codes, through wrapping, whatever the
// message.
func TestErrorIs(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("find contact: %w", &baton.Error{Code: baton.ENOTFOUND, Message: "Contact not found"})
	if !errors.Is(err, baton.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
	}
	if errors.Is(baton.Invalid("Name can't be blank", "name"), baton.ErrNotFound) {
		t.Error("an invalid error is not found")
	}
	if errors.Is(errors.New("not_found"), baton.ErrNotFound) {
		t.Error("a plain error is not found")
	}
}
