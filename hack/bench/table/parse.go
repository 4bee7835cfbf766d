package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds every measurement of every benchmark, in the order the
// benchmarks first appeared.
type results struct {
	order  []string
	values map[string]map[string][]float64 // benchmark → unit → one value per run
	units  map[string][]string             // benchmark → units in first-seen order
	failed []string                        // FAIL lines: the run is not to be trusted
}

// procSuffix is the -GOMAXPROCS suffix go test appends to names.
var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads `go test -bench` output: lines of a name, an iteration
// count, then value/unit pairs.
func parse(r io.Reader) (*results, error) {
	res := &results{values: map[string]map[string][]float64{}, units: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(strings.TrimSpace(line), "--- FAIL") {
			res.failed = append(res.failed, line)
		}
		res.addLine(line)
	}
	return res, sc.Err()
}

func (res *results) addLine(line string) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return
	}
	name := procSuffix.ReplaceAllString(f[0], "")
	if res.values[name] == nil {
		res.values[name] = map[string][]float64{}
		res.order = append(res.order, name)
	}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		unit := f[i+1]
		if _, seen := res.values[name][unit]; !seen {
			res.units[name] = append(res.units[name], unit)
		}
		res.values[name][unit] = append(res.values[name][unit], v)
	}
}

// median of one benchmark's unit over the runs; ok is false when absent.
func (res *results) median(name, unit string) (float64, bool) {
	vs := res.values[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

func (res *results) runs(name string) int {
	n := 0
	for _, vs := range res.values[name] {
		n = max(n, len(vs))
	}
	return n
}
