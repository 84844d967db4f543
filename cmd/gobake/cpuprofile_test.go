package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStartProfiles checks that GOBAKE_CPUPROFILE and GOBAKE_TRACE each
// get a file with data, and that neither set writes nothing.
func TestStartProfiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		cpu, trace string
	}{
		{"both", filepath.Join(dir, "cpu"), filepath.Join(dir, "trace")},
		{"trace only", "", filepath.Join(dir, "trace2")},
		{"none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := startProfiles(tt.cpu, tt.trace)
			stop()
			for _, p := range []string{tt.cpu, tt.trace} {
				if p == "" {
					continue
				}
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() == 0 {
					t.Errorf("%s is empty", p)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files written, want 3", len(entries))
	}
}
