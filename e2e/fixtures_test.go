package e2e

import (
	"path/filepath"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// fixtures are the builds shared by the tests that only read them, made
// once per test binary (testutil.Shared) and removed by TestMain. A test
// that edits, rebuilds into or pushes over a fixture builds its own.
var fixtures testutil.Fixtures

// layoutSample is a copy of the sample, committed to git, built once
// offline into its default OCI layout.
type layoutSample struct {
	dir    string              // the sample copy
	layout string              // its default OCI layout, dir/.gobake/oci
	refs   map[string]builtRef // what gobake build printed, by image
}

// sharedLayoutSample returns the layout sample shared by the tests that
// only read it. They may run gobake in dir with other targets (--tarball,
// --oci-layout elsewhere), never into its default layout, and must not
// change its files.
func sharedLayoutSample(t *testing.T) layoutSample {
	t.Helper()
	return testutil.Shared(t, &fixtures, "layout sample", func(t testing.TB) layoutSample {
		dir := testutil.CopySample(t)
		testutil.GitInit(t, dir)
		out := gobake.MustRun(t, dir, offlineEnv, "build")
		return layoutSample{dir: dir, layout: filepath.Join(dir, ".gobake", "oci"), refs: parseRefs(t, out.Stdout, sampleImages)}
	})
}

// sharedRegistrySample returns pushSample made once and shared by the
// tests that only read it: they must not push to its prefix, stop its
// registry or change its files.
func sharedRegistrySample(t *testing.T) registrySample {
	t.Helper()
	return testutil.Shared(t, &fixtures, "registry sample", func(t testing.TB) registrySample {
		return pushSample(t)
	})
}
