package webhook

import (
	"fmt"
	"strings"
)

// isKnownKey reports whether k is an annotation kvenv reads or writes.
func isKnownKey(k string) bool {
	if strings.HasPrefix(k, AnnotationEnvPrefix) {
		return true
	}
	for _, known := range knownAnnotations {
		if k == known {
			return true
		}
	}
	return false
}

// unknownKeyProblem explains an unknown kvenv.io/ key, with the key the user
// most likely meant when there is one close enough.
func unknownKeyProblem(k string) string {
	if hint := nearestKey(strings.TrimPrefix(k, annotationPrefix)); hint != "" {
		return fmt.Sprintf("unknown annotation %s: did you mean %s?", k, hint)
	}
	return fmt.Sprintf("unknown annotation %s: kvenv reads %s<VAR>, %s: fix the name or remove it.",
		k, AnnotationEnvPrefix, strings.Join(knownAnnotations[:4], ", "))
}

// nearestKey suggests a kvenv.io/ key for a misspelt name (the part after
// kvenv.io/): env.<VAR> when the part before the first separator is close to
// "env", else the closest fixed key.
func nearestKey(name string) string {
	if head, rest, ok := cutSeparator(name); ok && rest != "" && isNear(strings.ToLower(head), "env") {
		return AnnotationEnvPrefix + rest
	}
	if isNear(strings.ToLower(name), "env") {
		return AnnotationEnvPrefix + "<VAR>"
	}
	best, bestDist := "", 3
	for _, known := range knownAnnotations {
		short := strings.TrimPrefix(known, annotationPrefix)
		if d := editDistance(strings.ToLower(name), short); d < bestDist {
			best, bestDist = known, d
		}
	}
	return best
}

// cutSeparator splits at the first '.', '_' , '-' or ':' (env_X, env-X, env:X).
func cutSeparator(name string) (head, rest string, ok bool) {
	i := strings.IndexAny(name, "._-:")
	if i < 0 {
		return name, "", false
	}
	return name[:i], name[i+1:], true
}

// isNear is true for a small slip: one or two edits, transpositions included.
func isNear(got, want string) bool { return editDistance(got, want) <= 2 }

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and adjacent transpositions each cost one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // names that long are not slips of a short key
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
