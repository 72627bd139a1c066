package agent

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The transcript shows a message's text formatted as the widget shows it to
// the customer (its Markdown: paragraphs, lists, bold, italics, struck
// text, code and links), so that the person reads what the customer read.
// It is parsed into blocks and spans that the template writes, each part
// escaped there: nothing is ever marked safe HTML.

// block is a paragraph (its lines) or a list (its items, each a line).
type block struct {
	List    string   // "", "ul" or "ol"
	Lines   [][]span // a paragraph's lines, or a list's items
	Ordered bool
}

// span is a run of text with its marks; Link is an http(s) or mailto
// address when the run is a link.
type span struct {
	Text                       string
	Bold, Italic, Strike, Code bool
	Link                       string
}

var (
	bulletItem  = regexp.MustCompile(`^\s*[-*+]\s+(.*)$`)
	orderedItem = regexp.MustCompile(`^\s*\d+[.)]\s+(.*)$`)
	// inlineMark finds the next mark of a line: code, a link, a bare
	// address, bold, struck text, then italics (checked for word edges by
	// hand: RE2 has no look-around).
	inlineMark = regexp.MustCompile("`([^`]+)`" +
		`|\[([^\]]+)\]\(((?:https?://|mailto:)[^\s)]+)\)` +
		`|(https?://[^\s<]+)` +
		`|\*\*(\S(?:[^*]*\S)?)\*\*|__(\S(?:[^_]*\S)?)__` +
		`|~~(\S(?:[^~]*\S)?)~~` +
		`|\*(\S(?:[^*]*\S)?)\*|_(\S(?:[^_]*\S)?)_`)
)

// markdown parses a message's text into blocks.
func markdown(src string) []block {
	var out []block
	var para [][]span
	var list *block
	flushPara := func() {
		if len(para) > 0 {
			out = append(out, block{Lines: para})
			para = nil
		}
	}
	flushList := func() {
		if list != nil {
			out = append(out, *list)
			list = nil
		}
	}
	for line := range strings.SplitSeq(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		ul, ol := bulletItem.FindStringSubmatch(line), orderedItem.FindStringSubmatch(line)
		switch {
		case ul != nil || ol != nil:
			flushPara()
			kind, item := "ul", ul
			if ul == nil {
				kind, item = "ol", ol
			}
			if list != nil && list.List != kind {
				flushList()
			}
			if list == nil {
				list = &block{List: kind, Ordered: kind == "ol"}
			}
			list.Lines = append(list.Lines, inline(item[1]))
		case strings.TrimSpace(line) == "":
			flushPara()
			flushList()
		default:
			flushList()
			para = append(para, inline(line))
		}
	}
	flushPara()
	flushList()
	return out
}

// inline splits a line into spans by its marks. Marks do not nest: a
// mark's text is shown as written.
func inline(s string) []span {
	var out []span
	plain := func(t string) {
		if t != "" {
			out = append(out, span{Text: t})
		}
	}
	for s != "" {
		m := nextMark(s)
		if m == nil {
			plain(s)
			break
		}
		plain(s[:m[0]])
		sub := func(i int) string { return s[m[2*i]:m[2*i+1]] }
		switch {
		case m[2] >= 0:
			out = append(out, span{Text: sub(1), Code: true})
		case m[4] >= 0:
			out = append(out, span{Text: sub(2), Link: sub(3)})
		case m[8] >= 0:
			// A bare address ends before trailing punctuation.
			u := strings.TrimRight(sub(4), ".,;:!?)")
			out = append(out, span{Text: u, Link: u})
			m[1] = m[8] + len(u)
		case m[10] >= 0:
			out = append(out, span{Text: sub(5), Bold: true})
		case m[12] >= 0:
			out = append(out, span{Text: sub(6), Bold: true})
		case m[14] >= 0:
			out = append(out, span{Text: sub(7), Strike: true})
		case m[16] >= 0:
			out = append(out, span{Text: sub(8), Italic: true})
		default:
			out = append(out, span{Text: sub(9), Italic: true})
		}
		s = s[m[1]:]
	}
	return out
}

// nextMark returns the submatch indexes of the line's first mark, skipping
// italics inside a word (snake_case, 2*3*4) and bare addresses that do not
// start a word.
func nextMark(s string) []int {
	for from := 0; from < len(s); {
		m := inlineMark.FindStringSubmatchIndex(s[from:])
		if m == nil {
			return nil
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += from
			}
		}
		before, _ := utf8.DecodeLastRuneInString(s[:m[0]])
		after, _ := utf8.DecodeRuneInString(s[m[1]:])
		italic := m[16] >= 0 || m[18] >= 0
		address := m[8] >= 0
		if address && m[0] > 0 && !unicode.IsSpace(before) && before != '(' {
			// An address inside a word is text, all of it: searching again
			// from its next byte would read the rest of the line once for
			// every address in it (a line of "http://" a hundred thousand
			// times took a minute).
			from = m[1]
			continue
		}
		if italic && (isWord(before) || isWord(after)) {
			from = m[0] + 1
			continue
		}
		return m
	}
	return nil
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
