package webhook

import (
	"fmt"
	"strings"
)

// Denial is a pod kvenv refuses, with every problem found, so that a user
// fixes them all in one round. Each problem is one sentence that names the
// annotation, container or field and says what to do. Problems never hold a
// secret value: kvenv's input is references only, and URLs are shown without
// any user information they carried.
type Denial struct {
	Problems []string
}

func (d *Denial) Error() string {
	switch len(d.Problems) {
	case 0:
		return "kvenv denied the pod"
	case 1:
		return "kvenv: " + d.Problems[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kvenv found %d problems:", len(d.Problems))
	for i, p := range d.Problems {
		fmt.Fprintf(&b, " (%d) %s", i+1, p)
	}
	return b.String()
}

// problems collects the sentences of a Denial.
type problems []string

func (p *problems) addf(format string, a ...any) {
	*p = append(*p, fmt.Sprintf(format, a...))
}

// err is nil without problems, else a *Denial holding them.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &Denial{Problems: p}
}
