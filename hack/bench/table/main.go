// Command table reads `go test -bench` output (several -count runs) and
// prints the median of every figure, one table per benchmark family, then
// the budgets with their verdicts. It exits 1 if the run had failures, so
// `make bench` fails too. A missed budget is reported, not an error: the
// figures are for people to act on. A latency verdict is marked suspect
// when the load generator's own lag was over the budget.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	printTables(os.Stdout, res)
	printBudgets(os.Stdout, res)
	if len(res.failed) > 0 {
		fmt.Fprintf(os.Stderr, "table: the benchmark run failed:\n%s\n", strings.Join(res.failed, "\n"))
		os.Exit(1)
	}
}

func printTables(w io.Writer, res *results) {
	for _, family := range families(res) {
		units := unionUnits(res, family.members)
		fmt.Fprintf(w, "\n### %s (median of runs)\n\n| case | runs | %s |\n|---|---|%s\n",
			family.name, strings.Join(units, " | "), strings.Repeat("---|", len(units)))
		for _, name := range family.members {
			cells := make([]string, len(units))
			for i, u := range units {
				cells[i] = "–"
				if v, ok := res.median(name, u); ok {
					cells[i] = format(v)
				}
			}
			fmt.Fprintf(w, "| %s | %d | %s |\n", caseName(family.name, name), res.runs(name), strings.Join(cells, " | "))
		}
	}
}

func printBudgets(w io.Writer, res *results) {
	fmt.Fprintf(w, "\n### Budgets\n\n| budget | median | target | verdict |\n|---|---|---|---|\n")
	for _, b := range budgets {
		v := b.judge(res)
		if !v.ran {
			fmt.Fprintf(w, "| %s | not run | %s | – |\n", b.what, b.target())
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", b.what, b.show(v.figure), b.target(), v.word())
	}
}

// word is the verdict column. A suspect figure keeps its outcome in
// brackets, but is not called met or missed outright.
func (v verdict) word() string {
	switch {
	case v.suspectLag > 0:
		outcome := "met"
		if !v.met {
			outcome = "missed"
		}
		return fmt.Sprintf("**suspect** (%s): the load generator lagged %s at p99, over the budget; rerun on a quieter machine",
			outcome, ms(v.suspectLag))
	case v.met:
		return "met"
	}
	return "**MISSED**"
}

type family struct {
	name    string
	members []string
}

// families groups benchmarks by their top-level name, in order.
func families(res *results) []family {
	var out []family
	index := map[string]int{}
	for _, name := range res.order {
		top, _, _ := strings.Cut(name, "/")
		i, ok := index[top]
		if !ok {
			i = len(out)
			index[top] = i
			out = append(out, family{name: top})
		}
		out[i].members = append(out[i].members, name)
	}
	return out
}

// unionUnits lists every unit the family reports. Load phases (they report
// req/s) lose -benchmem's columns: those count the load generator's
// allocations, not the server's.
func unionUnits(res *results, names []string) []string {
	var units []string
	seen := map[string]bool{}
	for _, n := range names {
		for _, u := range res.units[n] {
			if !seen[u] {
				seen[u] = true
				units = append(units, u)
			}
		}
	}
	if seen["req/s"] {
		units = slices.DeleteFunc(units, func(u string) bool { return u == "B/op" || u == "allocs/op" })
	}
	return units
}

func caseName(family, name string) string {
	if rest, ok := strings.CutPrefix(name, family+"/"); ok {
		return rest
	}
	return "(all)"
}

func format(v float64) string {
	switch {
	case v == float64(int64(v)) && v < 1e15:
		return fmt.Sprintf("%d", int64(v))
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
