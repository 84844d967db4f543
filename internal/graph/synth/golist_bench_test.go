package synth

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// BenchmarkGoListMains is the baseline of BenchmarkPlanNoop: `go list
// -deps` of the default synthetic monorepo's mains, asking only for the
// fields a plan needs (as bench/plan.sh does). Run both in one go test
// invocation and divide: the machine may be shared, only ratios compare.
func BenchmarkGoListMains(b *testing.B) {
	dir := b.TempDir()
	cfg, err := Generate(dir, Default())
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"list", "-deps", "-json=ImportPath,Dir,Module,Imports,GoFiles,EmbedFiles"}
	for _, img := range cfg.Images {
		args = append(args, img.Main)
	}
	cpu := startCPU()
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go list: %v\n%.2000s", err, out)
		}
	}
	cpu.report(b)
}

// cpuClock measures the CPU time (user and system, of this process and
// its waited-for children, go list and go env included) used since it
// started, so that a benchmark on a loaded machine can report CPU seconds
// per operation beside wall time.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{cpuUsed()} }

func (c cpuClock) report(b *testing.B) {
	b.StopTimer()
	if b.N > 0 {
		b.ReportMetric((cpuUsed()-c.start).Seconds()/float64(b.N), "cpu-s/op")
	}
}

func cpuUsed() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}
