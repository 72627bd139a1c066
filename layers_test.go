package baton_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/batonhq/baton"

// layers are DESIGN.md's dependency rules: for each package (by directory
// prefix), imports it must not have. Dependencies point one way: cmd →
// surfaces → app → store → root.
var layers = []struct {
	dir       string
	forbidden []string
	why       string
}{
	{".", []string{module + "/", "net/http", "database/sql"}, "the root package is the vocabulary: standard library only, no SQL, no HTTP"},
	{"internal/app", []string{"net/http", module + "/internal/chatwoot", module + "/internal/server", module + "/internal/store/sqlite", module + "/internal/store/postgres"}, "use cases know nothing of HTTP or of a particular database"},
	{"internal/store", []string{module + "/internal/app", module + "/internal/chatwoot", "net/http"}, "storage never reaches up"},
	{"internal/chatwoot", []string{module + "/internal/store", module + "/internal/delivery"}, "surfaces go through the app, never to storage or the delivery engine"},
	{"internal/web", []string{module + "/internal/store", module + "/internal/delivery"}, "surfaces go through the app, never to storage or the delivery engine"},
	{"internal/server", []string{module + "/internal/store", module + "/internal/app"}, "the server mounts surfaces and knows no use case"},
}

// TestLayering fails when a package imports across DESIGN.md's layers.
func TestLayering(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, l := range layers {
			inLayer := dir == l.dir || (l.dir != "." && strings.HasPrefix(dir+"/", l.dir+"/"))
			if !inLayer {
				continue
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range l.forbidden {
					if strings.HasPrefix(p, bad) {
						t.Errorf("%s imports %s: %s", path, p, l.why)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
