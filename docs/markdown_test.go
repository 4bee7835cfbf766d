package docs

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// block is one fenced code block of a Markdown page.
type block struct {
	lang string
	body string
	line int    // line of the opening fence, for messages
	file string // the `name.yaml` the text just before the block names, if any
}

var fileName = regexp.MustCompile("`([A-Za-z0-9._-]+\\.yaml)`")

// readBlocks returns the fenced blocks of a page in order.
func readBlocks(t *testing.T, path string) []block {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	var cur *block
	var body, prose []string
	for i, line := range strings.Split(string(raw), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{lang: strings.TrimPrefix(line, "```"), line: i + 1}
			if m := fileName.FindAllStringSubmatch(strings.Join(prose, "\n"), -1); len(m) > 0 {
				cur.file = m[len(m)-1][1]
			}
			body, prose = nil, nil
		case cur != nil && line == "```":
			cur.body = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body = append(body, line)
		default:
			prose = append(prose, line)
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unclosed code block", path, cur.line)
	}
	return blocks
}

// inlineCommands are the `az ...` spans of the prose, checked like blocks.
func inlineCommands(t *testing.T, path, program string) []string {
	t.Helper()
	raw, _ := os.ReadFile(path)
	re := regexp.MustCompile("`(" + program + " [^`]+)`")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1])
	}
	return out
}

// command is one `$ ` line of a console block (with its continuation lines)
// and the output shown after it.
type command struct {
	line   int
	text   string
	output string
}

func (c command) String() string { return fmt.Sprintf("line %d: %s", c.line, c.text) }

func consoleCommands(b block) []command {
	var cmds []command
	lines := strings.Split(strings.TrimSuffix(b.body, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "$ ") {
			if len(cmds) > 0 {
				cmds[len(cmds)-1].output += lines[i] + "\n"
			}
			continue
		}
		text := strings.TrimPrefix(lines[i], "$ ")
		start := i
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(lines[i])
		}
		cmds = append(cmds, command{line: b.line + 1 + start, text: text})
	}
	return cmds
}

// words is a command line split as a POSIX shell would for the forms these
// pages use: quotes, $VAR and ${VAR}, $(...) and a `> file` redirect.
type words struct {
	args     []string
	redirect string
	subs     []words // command substitutions, checked like commands
}

func splitWords(s string, env map[string]string) (words, error) {
	var w words
	var cur strings.Builder
	inWord, toRedirect := false, false
	flush := func() {
		if !inWord {
			return
		}
		if toRedirect {
			w.redirect, toRedirect = cur.String(), false
		} else {
			w.args = append(w.args, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '>':
			flush()
			toRedirect = true
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return w, fmt.Errorf("unclosed ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return w, fmt.Errorf("unclosed \" in %q", s)
			}
			v, err := expand(s[i+1:i+1+end], env)
			if err != nil {
				return w, err
			}
			cur.WriteString(v)
			i, inWord = i+1+end, true
		case c == '$' && strings.HasPrefix(s[i:], "$("):
			end := matchingParen(s, i+1)
			if end < 0 {
				return w, fmt.Errorf("unclosed $( in %q", s)
			}
			sub, err := splitWords(s[i+2:end], env)
			if err != nil {
				return w, err
			}
			w.subs = append(w.subs, sub)
			cur.WriteString("<output of " + strings.Join(sub.args, " ") + ">")
			i, inWord = end, true
		case c == '$':
			n := varNameLen(s[i+1:])
			v, err := expand(s[i:i+1+n], env)
			if err != nil {
				return w, err
			}
			cur.WriteString(v)
			i, inWord = i+n, true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return w, nil
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expand replaces $VAR and ${VAR}; a variable the page never set is an
// error, since a reader following the page would have it empty.
func expand(s string, env map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(m string) string {
		name := strings.Trim(m, "${}")
		v, ok := env[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("variable %s is used before the page sets it", strings.Join(missing, ", "))
	}
	return out, nil
}

func varNameLen(s string) int {
	if strings.HasPrefix(s, "{") {
		return strings.IndexByte(s, '}') + 1
	}
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return n
}

func matchingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// The parsing helpers are tested on their own, so that a page check that
// passes does not pass because the parser saw nothing.
func TestSplitWords(t *testing.T) {
	env := map[string]string{"RG": "rg1", "VAULT_ID": "/v"}
	w, err := splitWords(`export X=$(az identity show -g $RG --query "a b" -o tsv) Y=${RG}/z > out.yaml`, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.args, "|"); got != "export|X=<output of az identity show -g rg1 --query a b -o tsv>|Y=rg1/z" {
		t.Errorf("args: %s", got)
	}
	if w.redirect != "out.yaml" || len(w.subs) != 1 || w.subs[0].args[6] != "a b" {
		t.Errorf("redirect %q subs %+v", w.redirect, w.subs)
	}
	if _, err := splitWords(`az keyvault show --name $NOPE`, env); err == nil {
		t.Error("an unset variable must be an error")
	}
}
