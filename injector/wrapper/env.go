package wrapper

import (
	"errors"
	"path"
	"slices"
	"strings"
)

// readValues reads one variable per file: the name is the variable, the
// content the value, byte for byte. Errors name files, never contents.
func readValues(dir string) (map[string]string, error) {
	scratch := newScratch()
	names, err := readDirNames(dir, scratch)
	if err != nil {
		return nil, errors.New("reading " + dir + ": " + err.Error())
	}
	vars := make(map[string]string, len(names))
	for _, name := range names {
		file := path.Join(dir, name)
		if !validName(name) {
			return nil, notAValueFile(file)
		}
		value, err := readValue(file, scratch)
		if err != nil {
			return nil, err
		}
		vars[name] = value
	}
	return vars, nil
}

// readValue reads one value file, which must be a regular file (not a
// symlink to one) and hold no NUL byte, through scratch.
func readValue(file string, scratch []byte) (string, error) {
	const hint = " (the app's user must be able to read the value files)"
	mode, err := fileMode(file, false)
	if err != nil {
		return "", errors.New("reading " + file + ": " + err.Error() + hint)
	}
	if !isRegular(mode) {
		return "", notAValueFile(file)
	}
	b, err := readFile(file, scratch)
	if err != nil {
		return "", errors.New("reading " + file + ": " + err.Error() + hint)
	}
	if slices.Contains(b, 0) {
		return "", errors.New(file + ": the value contains a NUL byte, which no environment variable can hold")
	}
	return string(b), nil
}

func notAValueFile(file string) error {
	return errors.New(file + ": not a value file (want a regular file named like an environment variable)")
}

// validName is a portable environment variable name: the init container
// writes no other, so anything else is not ours.
func validName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// merge returns environ with vars set: an existing variable is replaced in
// place (and its duplicates dropped), new ones are appended in name order.
func merge(environ []string, vars map[string]string) []string {
	out := make([]string, 0, len(environ)+len(vars))
	placed := map[string]bool{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		value, ours := vars[name]
		switch {
		case !ours:
			out = append(out, kv)
		case !placed[name]:
			out = append(out, name+"="+value)
			placed[name] = true
		}
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		if !placed[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		out = append(out, name+"="+vars[name])
	}
	return out
}

// lookup returns the value of name in env ("" if absent).
func lookup(env []string, name string) string {
	v, _ := lookupOK(env, name)
	return v
}

func lookupOK(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
