package release_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/release"
)

// TestShardRecordsShareSnapshot: every shard's record holds its own
// small document and the plan's snapshot as a second layer, the same blob
// in every record (the registry stores it once); finalize releases from
// them.
func TestShardRecordsShareSnapshot(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var snapshots, own []string
	for k := 1; k <= 2; k++ {
		c := w.clone(t)
		rep, err, log := w.run(t, c.Dir, release.Options{Shard: planner.Shard{K: k, N: 2}})
		if err != nil {
			t.Fatalf("shard %d/2: %v\n%s", k, err, log)
		}
		ref, err := name.ParseReference(rep.ShardRecord)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Layers) != 2 || m.Layers[1].MediaType != release.SnapshotMediaType {
			t.Fatalf("record %s: layers %+v, want the shard's and the snapshot", rep.ShardRecord, m.Layers)
		}
		own = append(own, m.Layers[0].Digest.String())
		snapshots = append(snapshots, m.Layers[1].Digest.String())
	}
	if snapshots[0] != snapshots[1] || own[0] == own[1] {
		t.Errorf("records' layers: own %v, snapshots %v: want the snapshot stored once, the shards' own documents apart", own, snapshots)
	}
	c := w.clone(t)
	rep, err, log := w.run(t, c.Dir, release.Options{Finalize: true})
	if err != nil || !rep.Released {
		t.Fatalf("finalize: %v, released %t\n%s", err, rep.Released, log)
	}
	if got := versions(rep); len(got) != 2 || got["api"] != "0.1.0" || got["web"] != "0.1.0" {
		t.Errorf("finalize released %v, want api and web 0.1.0", got)
	}
	for _, img := range rep.Images {
		if img.Shard == "" {
			t.Errorf("%s: no shard named in the finalize report", img.Image)
		}
	}
	w.check(t)
}
