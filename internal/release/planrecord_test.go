package release_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/release"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// TestShardPlansOnlyItsImages: after release --warm recorded the plan, a
// shard plans only the images it builds: web's package is not even
// listed by the shard that builds api (an ignored file that breaks it is
// in every checkout: a shard that plans every image fails), and the
// release finalizes from the shards with the snapshot of the plan. A plan
// record of other images, or one whose inputs are not the shard's own (the
// base moved since), is not used: the shard plans every image, as without
// one.
func TestShardPlansOnlyItsImages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	c.Commit("chore: ignore web's local file", map[string]string{".gitignore": ".gobake/\nweb/local.go\n"})
	c.Git("push", "--quiet", "origin", "main")

	rep, err, log := w.run(t, c.Dir, release.Options{Warm: true, Shards: 2, Images: []string{"api"}})
	if err != nil || !strings.Contains(log, "recorded the plan of 1 image(s)") {
		t.Fatalf("warm of api: %v\n%s", err, log)
	}
	const k = 1 // api: the images cost the same, the first by name goes to shard 1
	rep, err, log = w.run(t, c.Dir, release.Options{Shard: planner.Shard{K: k, N: 2}})
	if err != nil || strings.Contains(log, "deciding with the plan record") || !strings.Contains(log, "is of other images: planning every image") {
		t.Fatalf("shard %d/2 with a plan record of api only: %v: want every image planned\n%s", k, err, log)
	}

	// The base moves after the plan job: the shard's inputs are not the
	// record's, and it plans every image itself.
	rep, err, log = w.run(t, c.Dir, release.Options{Warm: true, Shards: 2})
	if err != nil || !strings.Contains(log, "recorded the plan of 2 image(s)") {
		t.Fatalf("warm: %v\n%s", err, log)
	}
	single, err := baseimage.Image(v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := single.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Env = append(cf.Config.Env, "MOVED=1")
	if single, err = mutate.ConfigFile(single, cf); err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(w.host + "/bases/static:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, single); err != nil {
		t.Fatal(err)
	}
	rep, err, log = w.run(t, c.Dir, release.Options{Shard: planner.Shard{K: 2, N: 2}})
	if err != nil || !strings.Contains(log, "the plan record's inputs differ from this job's: planning every image") {
		t.Fatalf("shard 2/2 after the base moved: %v: want every image planned\n%s", err, log)
	}
	if _, err := baseimage.Push(context.Background(), w.host+"/bases/static:latest"); err != nil {
		t.Fatal(err)
	}

	rep, err, log = w.run(t, c.Dir, release.Options{Warm: true, Shards: 2})
	if err != nil || !strings.Contains(log, "recorded the plan of 2 image(s)") {
		t.Fatalf("warm: %v\n%s", err, log)
	}
	// web does not build any more in this checkout: only its shard may
	// list it.
	if err := os.WriteFile(filepath.Join(c.Dir, "web", "local.go"), []byte("package main\n\nimport \"example.com/m/missing\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err, log = w.run(t, c.Dir, release.Options{Shard: planner.Shard{K: k, N: 2}})
	if err != nil || !strings.Contains(log, "1 of the 2 image(s) to build: api") || !strings.Contains(log, "planned its 1 image(s): their inputs are the plan record's") {
		t.Fatalf("shard %d/2 (api): %v: want only api planned\n%s", k, err, log)
	}
	if got := versions(rep); len(got) != 1 || got["api"] != "0.1.0" {
		t.Errorf("shard %d/2 built %v, want api 0.1.0", k, got)
	}
	if err := os.Remove(filepath.Join(c.Dir, "web", "local.go")); err != nil {
		t.Fatal(err)
	}
	rep, err, log = w.run(t, c.Dir, release.Options{Shard: planner.Shard{K: 3 - k, N: 2}})
	if err != nil || !strings.Contains(log, "planned its 1 image(s)") {
		t.Fatalf("shard %d/2 (web): %v\n%s", 3-k, err, log)
	}
	rep, err, log = w.run(t, w.clone(t).Dir, release.Options{Finalize: true})
	if err != nil || !rep.Released {
		t.Fatalf("finalize: %v, released %t\n%s", err, rep.Released, log)
	}
	if got := versions(rep); len(got) != 2 || got["api"] != "0.1.0" || got["web"] != "0.1.0" {
		t.Errorf("finalize released %v, want api and web 0.1.0", got)
	}
	w.check(t)
}
