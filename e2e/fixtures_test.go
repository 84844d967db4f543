package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

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

// parallelAfterWarmup is t.Parallel for a test that compiles with gobake:
// first, while the tests still run one at a time, the shared layout sample
// is built, unless a test built it already. On a cold build cache that one
// build compiles what every gobake build here needs (the standard library
// for linux/amd64 and linux/arm64, net/http among it, with gobake's flags)
// once, on both cores; the tests' own builds, in parallel, then find it in
// the cache, where each would compile it too, all at the same time (three
// parallel sample builds took 40 CPU-s each so). On a warm cache it costs
// the fixture's build, which the package's run makes anyway.
func parallelAfterWarmup(t *testing.T) {
	t.Helper()
	sharedLayoutSample(t)
	t.Parallel()
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

// copyLayoutSample returns a copy of the shared layout sample, its git
// repository and default layout included, for a test that edits it or
// builds into it: what a build of its own would give, without the build.
func copyLayoutSample(t *testing.T) layoutSample {
	t.Helper()
	s := sharedLayoutSample(t)
	dir := filepath.Join(t.TempDir(), "monorepo")
	if err := testutil.CopyTree(s.dir, dir); err != nil {
		t.Fatal(err)
	}
	return layoutSample{dir: dir, layout: filepath.Join(dir, ".gobake", "oci"), refs: s.refs}
}

// registryCopies numbers the prefixes copyRegistrySample copies to.
var registryCopies atomic.Int32

// copyRegistrySample returns a copy of the shared registry sample for a
// test that pushes: the sample copy (git repository included) copied, and
// every tag of each image's repository, inputs records and SBOMs
// included, copied on the same registry to a new prefix, which the copy
// returned has. What a push of its own would give, without the build.
func copyRegistrySample(t *testing.T) registrySample {
	t.Helper()
	s := sharedRegistrySample(t)
	c := s
	c.dir = filepath.Join(t.TempDir(), "monorepo")
	if err := testutil.CopyTree(s.dir, c.dir); err != nil {
		t.Fatal(err)
	}
	c.prefix = fmt.Sprintf("%s/copy%d", s.reg.Host, registryCopies.Add(1))
	c.refs = map[string]builtRef{}
	for img, r := range s.refs {
		src, err := name.NewRepository(s.prefix+"/"+img, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := name.NewRepository(c.prefix+"/"+img, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		copyRepository(t, src, dst)
		c.refs[img] = builtRef{
			Ref:    strings.Replace(r.Ref, s.prefix+"/", c.prefix+"/", 1),
			Name:   strings.Replace(r.Name, s.prefix+"/", c.prefix+"/", 1),
			Digest: r.Digest,
		}
	}
	c.stdout = strings.ReplaceAll(s.stdout, s.prefix+"/", c.prefix+"/")
	return c
}

// copyRepository copies every tag of src to dst, manifests byte for byte
// (so digests stay) and blobs mounted across repositories.
func copyRepository(t *testing.T, src, dst name.Repository) {
	t.Helper()
	ctx := t.Context()
	tags, err := remote.List(src, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("list tags of %s: %v", src, err)
	}
	for _, tag := range tags {
		desc, err := remote.Get(src.Tag(tag), remote.WithContext(ctx))
		if err != nil {
			t.Fatalf("get %s:%s: %v", src, tag, err)
		}
		if desc.MediaType.IsIndex() {
			idx, err := desc.ImageIndex()
			if err == nil {
				err = remote.WriteIndex(dst.Tag(tag), idx, remote.WithContext(ctx))
			}
			if err != nil {
				t.Fatalf("copy %s:%s to %s: %v", src, tag, dst, err)
			}
			continue
		}
		img, err := desc.Image()
		if err == nil {
			err = remote.Write(dst.Tag(tag), img, remote.WithContext(ctx))
		}
		if err != nil {
			t.Fatalf("copy %s:%s to %s: %v", src, tag, dst, err)
		}
	}
}
