package baton

import "time"

// MaxTimeZoneLen bounds the name of a time zone: the longest IANA name is
// 32 bytes ("America/Argentina/ComodRivadavia").
const MaxTimeZoneLen = 64

// TimeZone is the location of an IANA time zone name ("Europe/Lisbon",
// "UTC") that this server's time zone database knows; false for anything
// else, a browser's or a client's: empty, too long, "Local" (the server's
// own zone), or with characters no IANA name has (so that no path reaches
// the file system).
func TimeZone(name string) (*time.Location, bool) {
	if name == "" || len(name) > MaxTimeZoneLen || name == "Local" || name[0] == '/' {
		return nil, false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '_' || r == '-' || r == '+') {
			return nil, false
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}
