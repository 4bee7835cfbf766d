package webhook

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkValue reports a kvenv.io/ value that no parser should even look at:
// empty, padded, oversized, or holding characters that only look like ASCII
// (a dash or a Latin letter pasted from a document or chat).
func checkValue(key, v string, probs *problems) {
	switch {
	case len(v) > maxAnnotationValue:
		probs.addf("%s is %d bytes long and kvenv accepts at most %d: it should hold a reference, never a value.", key, len(v), maxAnnotationValue)
	case strings.TrimSpace(v) == "":
		probs.addf("%s is empty: give it a value or remove it.", key)
	case strings.TrimSpace(v) != v:
		probs.addf("%s has leading or trailing whitespace: remove it.", key)
	default:
		if r, ok := firstNonASCII(v); ok {
			probs.addf("%s contains the character %s, which is not printable ASCII (often a look-alike pasted from a document): retype the value.",
				key, describeRune(r))
		}
	}
}

// isCleanValue reports whether checkValue accepts v, so that later checks
// do not report the same value twice.
func isCleanValue(v string) bool {
	if len(v) > maxAnnotationValue || strings.TrimSpace(v) != v || v == "" {
		return false
	}
	_, bad := firstNonASCII(v)
	return !bad
}

// firstNonASCII finds the first rune outside printable ASCII (space to ~).
func firstNonASCII(v string) (rune, bool) {
	for _, r := range v {
		if r < 0x20 || r > 0x7e {
			return r, true
		}
	}
	return 0, false
}

// describeRune shows a rune so that a reader can tell it from its
// look-alike: the code point always, the glyph only when printable.
func describeRune(r rune) string {
	if r == utf8.RuneError {
		return "U+FFFD (invalid UTF-8)"
	}
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return fmt.Sprintf("U+%04X (a control character)", r)
	}
	return fmt.Sprintf("U+%04X (%c)", r, r)
}
