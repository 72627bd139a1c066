package baton_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/batonhq/baton"

// gated are the standard packages that say which layer a package is in: a
// package may have them (or a package below them) among its dependencies
// only when its entry in layers names them.
var gated = []string{"net/http", "database/sql", "os/exec"}

// testHarness is the package only tests may import, whatever their layer.
const testHarness = "internal/batontest"

// anything lets a package depend on every package of the module: the
// binaries that wire everything, and the test harness.
const anything = "*"

// layer is what one package may depend on.
type layer struct {
	// may lists the packages of the module (by directory, "." for the
	// root) and the gated standard packages that may appear anywhere in
	// the package's full dependency list.
	may []string
	// notDirectly lists packages of the module that are reached through
	// another layer but must not be imported directly.
	notDirectly []string
	why         string
}

// storage is every storage package, for the surfaces that must not touch it.
var storage = []string{"internal/store", "internal/store/sqlite", "internal/store/postgres", "internal/store/storetest"}

// surface is what a surface may depend on: app and what app brings with
// it, HTTP, never storage directly.
var surface = []string{".", "internal/app", "internal/auth", "internal/store", "database/sql", "net/http"}

// layers are docs/design.md's dependency rules, one allow-list for every
// package of the module: dependencies point one way, cmd → surfaces → app
// → store → root. A package missing here fails the test until it is given
// its entry; the next floors (realtime, web, signature) have theirs.
var layers = map[string]layer{
	".":                  {why: "the root package is the vocabulary: standard library only, no SQL, no HTTP"},
	"internal/auth":      {may: []string{"."}, why: "tokens and keys are pure functions over the vocabulary"},
	"internal/config":    {may: []string{anything}, why: "settings take their defaults from the packages that own them; only cmd imports config"},
	"internal/filestore": {may: []string{"."}, why: "attachment bytes on disk know no use case"},
	"internal/signature": {may: []string{"."}, why: "signing is pure: a body, a secret and a time in, headers out"},

	"internal/store":           {may: []string{".", "database/sql"}, why: "storage never reaches up"},
	"internal/store/sqlite":    {may: []string{".", "internal/store", "database/sql", "os/exec"}, why: "a dialect sits under the storage contract (os/exec: the driver's)"},
	"internal/store/postgres":  {may: []string{".", "internal/store", "database/sql", "os/exec"}, why: "a dialect sits under the storage contract"},
	"internal/store/storetest": {may: append([]string{".", "database/sql", "os/exec"}, storage[:3]...), why: "the conformance suite runs both dialects"},

	"internal/app": {may: []string{".", "internal/auth", "internal/store", "database/sql"},
		why: "use cases know nothing of HTTP, of a dialect, of a surface or of the delivery engine"},
	"internal/delivery": {may: []string{".", "internal/auth", "internal/store", "internal/signature", "database/sql", "net/http"},
		why: "the engine carries events; it knows no use case and no surface"},

	// Surfaces reach storage only through app: internal/store is in their
	// dependency list by way of app, never imported.
	"internal/chatwoot": {may: append([]string{"internal/signature"}, surface...),
		notDirectly: storage, why: "a surface goes through app, never to storage or sideways"},
	"internal/realtime":   {may: surface, notDirectly: storage, why: "the live channel is a surface: through app, never to storage"},
	"internal/web":        {may: surface, notDirectly: storage, why: "pages are a surface: through app, never to storage"},
	"internal/web/widget": {may: surface, notDirectly: storage, why: "pages are a surface: through app, never to storage"},
	"internal/web/agent":  {may: surface, notDirectly: storage, why: "pages are a surface: through app, never to storage"},

	"internal/server": {may: []string{"net/http"}, why: "the server mounts surfaces and knows no use case"},
	"internal/metrics": {may: []string{".", "net/http", "database/sql"},
		why: "metrics read their gauges through a function, not the store (database/sql: client_golang's collectors)"},

	"internal/e2e":         {may: []string{anything}, why: "end-to-end tests wire everything"},
	"internal/batontest":   {may: []string{anything}, why: "the test harness starts the whole of Baton; imported by tests only"},
	"internal/browsertest": {may: []string{"net/http", "os/exec"}, why: "the browser harness drives a browser, never Baton's insides"},
	"cmd/baton":            {may: []string{anything}, why: "the binary wires everything"},
	"cmd/batonbench":       {may: []string{anything}, why: "the benchmark wires everything"},
	"examples/demobot":     {may: []string{"net/http"}, why: "an example bot uses the wire, never Baton's insides"},
}

// TestLayering fails when a package's full dependency list, as go list
// gives it, holds a package of the module or a gated standard package its
// layer does not allow, when it imports directly what it may reach only
// through another layer, or when a package has no layer.
func TestLayering(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}} | {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		deps, imports, _ := strings.Cut(line, " | ")
		fields := strings.Fields(deps)
		dir := rel(fields[0])
		l, ok := layers[dir]
		if !ok {
			t.Errorf("%s has no entry in layers: say what it may depend on", dir)
			continue
		}
		if dir != testHarness && slices.Contains(fields[1:], module+"/"+testHarness) {
			t.Errorf("%s depends on %s: the test harness is for tests only", dir, testHarness)
		}
		if slices.Contains(l.may, anything) {
			continue
		}
		seen := map[string]bool{}
		for _, dep := range fields[1:] {
			name, ok := layered(dep)
			if ok && !seen[name] && !slices.Contains(l.may, name) {
				seen[name] = true
				t.Errorf("%s depends on %s: %s", dir, name, l.why)
			}
		}
		for _, imp := range strings.Fields(imports) {
			if name, ok := layered(imp); ok && slices.Contains(l.notDirectly, name) {
				t.Errorf("%s imports %s: %s", dir, name, l.why)
			}
		}
	}
}

// layered returns the name a dependency goes by in layers, and whether it
// is one layers speak of: a package of the module or a gated standard one.
func layered(dep string) (string, bool) {
	if dep == module || strings.HasPrefix(dep, module+"/") {
		return rel(dep), true
	}
	for _, g := range gated {
		if dep == g || strings.HasPrefix(dep, g+"/") {
			return g, true
		}
	}
	return "", false
}

// rel is a package of the module by its directory, "." for the root.
func rel(importPath string) string {
	if importPath == module {
		return "."
	}
	return strings.TrimPrefix(importPath, module+"/")
}
