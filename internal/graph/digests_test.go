package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkDigests fails t when a digest of s is not the digest of its inputs:
// the digest cache answered for inputs it had not seen.
func checkDigests(t *testing.T, s *Snapshot) {
	t.Helper()
	for _, name := range s.Images() {
		for _, p := range s.Records[name].Platforms {
			if want := InputsDigest(p.Inputs); p.Digest != want {
				t.Errorf("%s %s: digest %s, but its inputs digest to %s", name, p.Platform, p.Digest, want)
			}
		}
	}
}

// TestDigestCacheChanges: with the digest cache (and the stored graph),
// every change to what an image is made of gives the digest of the new
// inputs, the same records as a plan without the cache, and a digest
// that differs from the one before.
func TestDigestCacheChanges(t *testing.T) {
	ctx := context.Background()
	root := copySample(t)
	cfg := sampleConfig(root)
	cache := t.TempDir()
	opts := func(digests bool) Options {
		o := Options{Targets: amd64Targets(t, cfg), GraphCache: filepath.Join(cache, "graph"), racy: time.Nanosecond}
		if digests {
			o.DigestCache = filepath.Join(cache, "digests")
		}
		return o
	}
	prev, err := Compute(ctx, cfg, opts(true))
	if err != nil {
		t.Fatal(err)
	}
	// Each change builds on the ones before, on one copy: the stored
	// graph keeps go list from running again for most of them.
	for _, c := range []struct {
		name, image string
		apply       func()
	}{
		{"function body", "api", func() { edit(t, root, "internal/greet/greet.go", `"name: %s"`, `"name = %s"`) }},
		{"ldflags", "worker", func() { cfg.Images[3].Ldflags = append(cfg.Images[3].Ldflags, "-X main.extra=1") }},
		{"data file", "api", func() { appendTo(t, root, "services/api/cmd/api/kodata/message.txt", "more\n") }},
		{"embedded file", "web", func() { appendTo(t, root, "services/web/cmd/web/static/style.css", "\n") }},
		{"go.mod godebug line", "ctl", func() { edit(t, root, "go.mod", "go 1.26.0", "go 1.26.0\n\ngodebug panicnil=1") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.apply()
			got, err := Compute(ctx, cfg, opts(true))
			if err != nil {
				t.Fatal(err)
			}
			checkDigests(t, got)
			want, err := Compute(ctx, cfg, opts(false))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Records, got.Records); diff != "" {
				t.Errorf("records with the digest cache differ (-without +with):\n%s", diff)
			}
			if got.Records[c.image].Digest == prev.Records[c.image].Digest {
				t.Errorf("%s: digest unchanged", c.image)
			}
			prev = got
		})
	}
}

// TestDigestCacheUsed: a plan of inputs seen before takes their digest
// from the cache (so the tests that check its answers check something):
// a cache whose digests were replaced gives those.
func TestDigestCacheUsed(t *testing.T) {
	ctx := context.Background()
	root := copySample(t)
	cfg := sampleConfig(root)
	path := filepath.Join(t.TempDir(), "digests")
	opts := Options{Targets: amd64Targets(t, cfg), DigestCache: path}
	if _, err := Compute(ctx, cfg, opts); err != nil {
		t.Fatal(err)
	}
	c := openDigestCache(path)
	if len(c.known) != len(opts.Targets) {
		t.Fatalf("the cache holds %d digests, want one per target (%d)", len(c.known), len(opts.Targets))
	}
	bogus := sha256.Sum256([]byte("bogus"))
	for fp := range c.known {
		c.known[fp] = bogus
	}
	c.fresh = true
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	s, err := Compute(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("sha256:%x", bogus)
	for _, name := range s.Images() {
		if d := s.Records[name].Platforms[0].Digest; d != want {
			t.Errorf("%s: digest %s, want the cached %s", name, d, want)
		}
	}
}

func TestDigestCacheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache", "digests")
	fp := func(i int) [32]byte { return sha256.Sum256(fmt.Appendf(nil, "fp %d", i)) }
	digest := func(i int) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(fmt.Appendf(nil, "d %d", i))) }

	c := openDigestCache(path) // missing: empty
	if _, ok := c.get(fp(1)); ok {
		t.Fatal("an empty cache knows a fingerprint")
	}
	c.put(fp(1), digest(1))
	c.put(fp(2), digest(2))
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c = openDigestCache(path)
	for i := 1; i <= 2; i++ {
		if d, ok := c.get(fp(i)); !ok || d != digest(i) {
			t.Errorf("fingerprint %d: %q %v, want %q", i, d, ok, digest(i))
		}
	}

	// Only a run that found something new writes the file.
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	past := before.ModTime().Add(-time.Hour)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); !fi.ModTime().Equal(past) {
		t.Error("a run of known fingerprints rewrote the cache")
	}

	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"flipped byte": func() []byte { b := bytes.Clone(good); b[len(digestCacheMagic)+5] ^= 1; return b }(),
		"truncated":    good[:len(good)-1],
		"other magic":  append([]byte("gobake digests v0\n"), good[len(digestCacheMagic):]...),
		"empty":        nil,
	} {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(dir, name)
			if err := os.WriteFile(bad, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if c := openDigestCache(bad); len(c.known) != 0 {
				t.Errorf("a damaged file gave %d digests", len(c.known))
			}
		})
	}

	// The file keeps this run's digests first, then older ones, at most
	// digestCacheMax or twice as many as the run asked for.
	c = openDigestCache(path)
	for i := 10; i < 10+digestCacheMax; i++ {
		c.put(fp(i), digest(i))
	}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c = openDigestCache(path)
	for i := 10 + digestCacheMax; i < 10+2*digestCacheMax; i++ {
		c.put(fp(i), digest(i))
	}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c = openDigestCache(path)
	if len(c.known) != 2*digestCacheMax {
		t.Errorf("%d digests kept, want %d", len(c.known), 2*digestCacheMax)
	}
	for _, i := range []int{10, 10 + 2*digestCacheMax - 1} {
		if d, ok := c.get(fp(i)); !ok || d != digest(i) {
			t.Errorf("fingerprint %d: %q %v, want %q", i, d, ok, digest(i))
		}
	}
	if _, ok := c.known[fp(1)]; ok {
		t.Error("the oldest digest was kept beyond the limit")
	}
}
