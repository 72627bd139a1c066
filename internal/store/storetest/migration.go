package storetest

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// MigrateDownUp takes every migration in migrations down on s, calls check
// (which can look at the empty schema), applies them all again and checks
// that s can write.
func MigrateDownUp(t *testing.T, s *store.Store, dialect goose.Dialect, migrations fs.FS, check func()) {
	t.Helper()
	ctx := t.Context()
	p, err := goose.NewProvider(dialect, s.DB(), migrations)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
		t.Errorf("version after migrating down: %d, %v; want 0", v, err)
	}
	check()
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	now := time.Now()
	if err := s.Write(ctx, func(q *store.Queries) error {
		return q.CreateAccount(ctx, &baton.Account{Name: "After", CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Errorf("write after migrating down and up: %v", err)
	}
}

// Reopen opens a database a second time with open: nothing is migrated
// twice and the data is still there.
func Reopen(t *testing.T, open func(ctx context.Context) (*store.Store, error)) {
	t.Helper()
	ctx := t.Context()
	s, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a := &baton.Account{Name: "Kept", CreatedAt: now, UpdatedAt: now}
	if err := s.Write(ctx, func(q *store.Queries) error { return q.CreateAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = open(ctx)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer s.Close()
	if got, err := s.Read().FindAccount(ctx, a.ID); err != nil || got.Name != "Kept" {
		t.Errorf("account after reopening: %v, %v", got, err)
	}
}
