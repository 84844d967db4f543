package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// TestShardedRelease releases one commit of the sample twice from the same
// empty world (registry, source and GitOps remotes): once unsharded, once
// as release --warm (which records the plan), 3 shards and a finalize,
// the first finalize missing shard 2. The
// sharded release ends byte for byte as the unsharded one: same digests
// under the same tags, same git tags on the same commits with the same
// messages, same GitOps diff.
func TestShardedRelease(t *testing.T) {
	parallelAfterWarmup(t)
	e := newReleaseEnv(t)
	originSeed, deploySeed := t.TempDir(), t.TempDir()
	for _, c := range [][2]string{{e.origin, originSeed}, {e.deploy, deploySeed}} {
		if err := testutil.CopyDir(c[0], c[1]); err != nil {
			t.Fatal(err)
		}
	}
	seedCommit := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "main"))
	clone := func() string {
		dir := filepath.Join(t.TempDir(), "src")
		testutil.Git(t, "", "clone", "-q", e.origin, dir)
		return dir
	}

	// World A: the unsharded release.
	dirA := clone()
	res, repA := e.release(t, dirA, nil)
	if res.ExitCode != 0 || !repA.Released {
		t.Fatalf("unsharded release: %s", res)
	}
	worldA := e.releasedWorld(t, seedCommit)

	// World B: the same commit, empty world again (same registry address).
	e.reg.Stop()
	for _, d := range []string{e.reg.Storage, e.origin, e.deploy} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	e.reg.Start()
	if _, err := baseimage.Push(context.Background(), e.reg.Host+"/bases/static:latest"); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{originSeed, e.origin}, {deploySeed, e.deploy}} {
		if err := testutil.CopyDir(c[0], c[1]); err != nil {
			t.Fatal(err)
		}
	}
	dirB := clone()
	shards := func(ks ...int) {
		var wg sync.WaitGroup
		for _, k := range ks {
			wg.Go(func() {
				res, rep := e.release(t, dirB, nil, "--shard", fmt.Sprintf("%d/3", k))
				if res.ExitCode != 0 || rep.Released || len(rep.GitTags) > 0 || rep.GitOps != nil {
					t.Errorf("shard %d/3: released %v, git tags %v, gitops %v: want nothing released\n%s", k, rep.Released, rep.GitTags, rep.GitOps, res)
				}
				if !strings.Contains(res.Stderr, "their inputs are the plan record's") {
					t.Errorf("shard %d/3: want only its images planned, with the plan record\n%s", k, res)
				}
			})
		}
		wg.Wait()
	}
	// The plan job's release --warm records the plan: the shards decide
	// with it and plan only their own images.
	if res, _ := e.release(t, dirB, nil, "--warm", "--shards", "3"); res.ExitCode != 0 || !strings.Contains(res.Stderr, "recorded the plan of 4 image(s)") {
		t.Fatalf("release --warm: want the plan recorded\n%s", res)
	}
	shards(1, 3)
	before := e.world(t)
	res, rep := e.release(t, dirB, nil, "--finalize")
	if res.ExitCode == 0 || rep.Released || !strings.Contains(res.Stderr, "shard 2/3 left no record") || !strings.Contains(res.Stderr, "--shard 2/3") {
		t.Fatalf("finalize without shard 2: want a failure naming shard 2/3 and how to re-run it\n%s", res)
	}
	if after := e.world(t); after != before {
		t.Errorf("a failed finalize changed the world:\n%s", cmp.Diff(before, after))
	}
	if t.Failed() {
		return
	}
	shards(2)
	res, repB := e.release(t, dirB, nil, "--finalize")
	if res.ExitCode != 0 || !repB.Released {
		t.Fatalf("finalize: %s", res)
	}
	e.checkReleased(t, dirB, repB)
	if diff := cmp.Diff(worldA, e.releasedWorld(t, seedCommit)); diff != "" {
		t.Errorf("sharded release differs from the unsharded one (-unsharded +sharded):\n%s", diff)
	}
	if !slices.Equal(repA.GitTags, repB.GitTags) {
		t.Errorf("git tags: unsharded %v, sharded %v", repA.GitTags, repB.GitTags)
	}
	res, rep = e.release(t, dirB, nil, "--finalize")
	if res.ExitCode != 0 || rep.Released || len(rep.Images) > 0 {
		t.Errorf("finalize again: want nothing to release\n%s", res)
	}
}

// releasedWorld is what a release published: every image tag and the
// digest it names (skopeo reads the registry, the shard records left
// out), the git tags of the source remote with their commit and message,
// and the GitOps repository's change since seed with its message.
func (e *releaseEnv) releasedWorld(t *testing.T, seed string) string {
	t.Helper()
	var b strings.Builder
	var catalog struct{ Repositories []string }
	getJSON(t, "http://"+e.reg.Host+"/v2/_catalog?n=1000", &catalog)
	slices.Sort(catalog.Repositories)
	for _, repo := range catalog.Repositories {
		if strings.HasSuffix(repo, "/gobake-release") || strings.HasPrefix(repo, "bases/") {
			continue
		}
		var tags struct{ Tags []string }
		getJSON(t, "http://"+e.reg.Host+"/v2/"+repo+"/tags/list", &tags)
		slices.Sort(tags.Tags)
		for _, tag := range tags.Tags {
			raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+e.reg.Host+"/"+repo+":"+tag)
			fmt.Fprintf(&b, "registry %s:%s sha256:%s\n", repo, tag, sha256Hex(raw))
		}
	}
	b.WriteString(testutil.Git(t, e.origin, "for-each-ref", "refs/tags", "--format=%(refname) %(*objectname) %(contents)"))
	b.WriteString(testutil.Git(t, e.deploy, "log", "--format=%B", seed+"..main"))
	b.WriteString(testutil.Git(t, e.deploy, "diff", seed, "main"))
	return b.String()
}
