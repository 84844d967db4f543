package config

import "testing"

// TestValidBranch: the branch check of gitops.branch and --gitops-branch
// is git's own (a.lock/b was accepted by a second, partial copy).
func TestValidBranch(t *testing.T) {
	for name, want := range map[string]bool{
		"main": true, "deploy/staging": true, "a.lock/b": false, "a/b.lock": false, "-x": false, "a..b": false, "HEAD": false,
	} {
		if got := ValidBranch(name); got != want {
			t.Errorf("ValidBranch(%q) = %v, want %v", name, got, want)
		}
	}
}
