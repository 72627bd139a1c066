package baton_test

import (
	"strings"
	"testing"

	"github.com/batonhq/baton"
)

func TestTimeZone(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Europe/Lisbon": true, "Asia/Kolkata": true, "America/Argentina/ComodRivadavia": true, "UTC": true, "Etc/GMT+5": true,
		"": false, "Local": false, "Mars/Olympus_Mons": false, "/etc/passwd": false, "../../etc/passwd": false,
		"Europe/Lisbon ": false, "Europe\\Lisbon": false, "Europe/Lisbon\x00": false, "Etc/Unknown": false,
		"Europe/" + strings.Repeat("A", 60): false,
	} {
		loc, ok := baton.TimeZone(name)
		if ok != want {
			t.Errorf("TimeZone(%q) = %v, want %v", name, ok, want)
		}
		if ok && loc.String() != name {
			t.Errorf("TimeZone(%q) is %s", name, loc)
		}
	}
}
