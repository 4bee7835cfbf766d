package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/kvenv/kvenv/webhook
BenchmarkAdmission/typical-2         	    3650	    300000 ns/op	  104065 B/op	    1492 allocs/op
BenchmarkAdmission/typical-2         	    3650	    340000 ns/op	  104065 B/op	    1492 allocs/op
BenchmarkAdmission/typical-2         	    3650	    320000 ns/op	  104065 B/op	    1492 allocs/op
BenchmarkAdmission/registry-cache-hit-2         	    3243	    545000 ns/op	  104542 B/op	    1477 allocs/op
BenchmarkAdmission/registry-cache-hit-over-typical-2         	    1122	    978151 ns/op	        243.30 extra-µs
BenchmarkHTTPSAdmission/saturation-2       	       1	   1847716 ns/op	         0 errors	         7.532 p99-ms	        38.89 peak-RSS-MiB	      2164 req/s	 8479464 B/op	   86569 allocs/op
BenchmarkHTTPSAdmission/saturation-2       	       1	   1847716 ns/op	         0 errors	         7.0 p99-ms	        36.89 peak-RSS-MiB	      2364 req/s	 8479464 B/op	   86569 allocs/op
PASS
`

func TestMediansPerBenchmarkAndUnit(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := res.median("BenchmarkAdmission/typical", "ns/op"); got != 320000 {
		t.Errorf("odd median %g, want 320000", got)
	}
	if got, _ := res.median("BenchmarkHTTPSAdmission/saturation", "req/s"); got != 2264 {
		t.Errorf("even median %g, want 2264", got)
	}
	if _, ok := res.median("BenchmarkAdmission/typical", "req/s"); ok {
		t.Error("a unit the benchmark never reported has a median")
	}
	if res.runs("BenchmarkAdmission/typical") != 3 || len(res.order) != 4 || len(res.failed) != 0 {
		t.Errorf("runs %d, order %v, failed %v", res.runs("BenchmarkAdmission/typical"), res.order, res.failed)
	}
}

func TestBudgetsAreJudgedOnMedians(t *testing.T) {
	assertPrinted(t, "budgets", printBudgets, sample,
		"| HTTPS saturation throughput | 2264 req/s | ≥ 5000 req/s | **MISSED** |",
		"| webhook peak RSS | 37.9 MiB | ≤ 40.0 MiB | met |",
		"| warm registry path over command set | 0.24 ms | ≤ 0.20 ms | **MISSED** |",
		"| kvenv-exec size (stripped) | not run |",
	)
}

// assertPrinted parses input, prints it with printer and wants each of wants
// in what was printed; what names the printed output in messages.
func assertPrinted(t *testing.T, what string, printer func(io.Writer, *results), input string, wants ...string) {
	t.Helper()
	res, _ := parse(strings.NewReader(input))
	var out bytes.Buffer
	printer(&out, res)
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s lack %q:\n%s", what, want, out.String())
		}
	}
}

func TestFailuresAreNoticed(t *testing.T) {
	res, _ := parse(strings.NewReader("--- FAIL: BenchmarkX\nFAIL\tgithub.com/kvenv/kvenv/x\t1.0s\n"))
	if len(res.failed) != 2 {
		t.Errorf("failed lines %q", res.failed)
	}
}

func TestTablesGroupByFamily(t *testing.T) {
	assertPrinted(t, "tables", printTables, sample, "### BenchmarkAdmission (median of runs)", "| typical | 3 | 320000 | 104065 | 1492 |",
		"| case | runs | ns/op | errors | p99-ms | peak-RSS-MiB | req/s |", "| saturation | 2 |")
}

// Two runs per phase: the medians of gen-lag-p99-ms are 1.08 ms (rate=500:
// an idle generator's timer lateness) and 2.50 ms (rate=1000: a generator
// short of CPU) against a 2 ms budget.
const lagged = `BenchmarkHTTPSAdmission/rate=500-2    1  800000 ns/op  1.50 p99-ms  1.07 gen-lag-p99-ms
BenchmarkHTTPSAdmission/rate=500-2    1  800000 ns/op  1.70 p99-ms  1.09 gen-lag-p99-ms
BenchmarkHTTPSAdmission/rate=1000-2   1  900000 ns/op  1.80 p99-ms  2.00 gen-lag-p99-ms
BenchmarkHTTPSAdmission/rate=1000-2   1  900000 ns/op  2.40 p99-ms  3.00 gen-lag-p99-ms
BenchmarkHTTPSAdmission/saturation-2  1  700000 ns/op  3.00 p99-ms  6000 req/s  30 peak-RSS-MiB
`

func TestALatencyTheGeneratorLaggedOnIsSuspect(t *testing.T) {
	assertPrinted(t, "budgets", printBudgets, lagged,
		"| HTTPS admission p99 at 500 req/s | 1.60 ms | ≤ 2.00 ms | met |",
		"| HTTPS admission p99 at 1000 req/s | 2.10 ms | ≤ 2.00 ms | **suspect** (missed): the load generator lagged 2.50 ms at p99, over the budget",
		"| HTTPS saturation throughput | 6000 req/s | ≥ 5000 req/s | met |",
	)
}

func TestAMetLatencyTheGeneratorLaggedOnIsSuspectToo(t *testing.T) {
	assertPrinted(t, "budgets", printBudgets, "BenchmarkHTTPSAdmission/rate=500-2  1  800000 ns/op  1.20 p99-ms  2.05 gen-lag-p99-ms\n",
		"| 1.20 ms | ≤ 2.00 ms | **suspect** (met): the load generator lagged 2.05 ms")
}
