package chatwoot

import (
	"maps"
	"testing"
)

func TestParseUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ua                                 string
		browser, version, device, platform string
		platformVersion                    string
	}{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			"Chrome", "126.0.0.0", "Unknown", "macOS", "10.15.7"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
			"Firefox", "127.0", "Unknown", "Windows", "10.0"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
			"Microsoft Edge", "126.0.2592.87", "Unknown", "Windows", "10.0"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
			"Safari", "17.5", "Unknown", "macOS", "10.15.7"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			"Safari", "17.5", "iPhone", "iOS", "17.5.1"},
		{"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
			"Chrome", "126.0.6478.54", "iPad", "iOS", "16.6"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
			"Chrome", "126.0.6478.71", "Unknown", "Android", "14"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
			"Firefox", "127.0", "Unknown", "Linux", "0"},
		{"curl/8.5.0", "Unknown Browser", "0", "Unknown", "Unknown", "0"},
		{"", "Unknown Browser", "0", "Unknown", "Unknown", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.browser+" on "+tt.platform, func(t *testing.T) {
			want := map[string]any{"browser_name": tt.browser, "browser_version": tt.version, "device_name": tt.device,
				"platform_name": tt.platform, "platform_version": tt.platformVersion}
			if got := parseUserAgent(tt.ua); !maps.Equal(got, want) {
				t.Errorf("parseUserAgent(%q)\n = %v\nwant %v", tt.ua, got, want)
			}
		})
	}
}

func TestBrowserLanguage(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"en-US,en;q=0.9":            "en",
		"de-CH,en;q=0.8":            "de",
		"fr;q=0.5, PT-br;q=0.9, *":  "pt",
		"  es  ":                    "es",
		"*":                         "",
		"":                          "",
		"en;q=0":                    "",
		"nl;q=0.2,zh-Hant-TW;q=0.7": "zh",
		// Not a language: never stored, whatever its weight.
		"<img src=x onerror=alert(1)>;q=1, fr;q=0.1": "fr",
		"x":          "",
		"abcdefghij": "",
		"dé;q=1":     "",
		"e1-US":      "",
		"en_US":      "",
	}
	for header, want := range tests {
		if got := browserLanguage(header); got != want {
			t.Errorf("browserLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}
