package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/klauspost/compress/gzip"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/ociartifact"
	"github.com/gobake/gobake/internal/planner"
)

// Planning the whole repository is most of what a shard costs besides its
// builds: go list of every main (about 3 CPU s for the 10,000 packages of
// the synthetic monorepo), hashing their files, in every shard. The plan
// job plans it anyway (release --warm): it records the plan's snapshot
// in the registry (PlanMediaType, tagged PlanTag), and a shard that finds
// it decides and assigns with it, then plans only its own images, whose
// inputs must be the very ones of the snapshot; otherwise (another
// environment, base image or gobake) the shard plans every image itself,
// as it does without a plan record. Either way its record holds the same
// snapshot, which finalize checks.

// PlanMediaType is the artifact type of the plan record release --warm
// pushes; its one layer is the snapshot (SnapshotMediaType).
const PlanMediaType = "application/vnd.gobake.release-plan.v1"

// PlanTag is the tag of the plan record of the release of commit, in
// ShardRepository.
func PlanTag(commit string) string {
	return "plan-" + commit
}

// errPlanDiffers is returned by shardAttempt when the shard's own inputs
// of its images are not those of the plan record.
var errPlanDiffers = errors.New("the plan record's inputs differ from this job's")

// recordPlan pushes the snapshot of this run's plan as the plan record of
// its commit.
func (r *run) recordPlan(ctx context.Context) error {
	fail := func(err error) error { return fmt.Errorf("release --warm: record the plan: %w", err) }
	snap, err := encodeSnapshot(r.snap.Records)
	if err != nil {
		return fail(err)
	}
	art, err := ociartifact.Bundle(PlanMediaType, []ociartifact.Document{{Data: snap, MediaType: SnapshotMediaType}})
	if err != nil {
		return fail(err)
	}
	ref := r.shardRepo() + ":" + PlanTag(r.info.Commit)
	tag, err := imageref.Parse(ref, r.opts.Insecure)
	if err != nil {
		return fail(err)
	}
	if err := remote.Write(tag, art, layering.RemoteOptions(ctx, r.registryOptions()...)...); err != nil {
		return fail(fmt.Errorf("%s: %w", ref, err))
	}
	r.logf("warm: recorded the plan of %d image(s) as %s\n", len(r.snap.Records), ref)
	return nil
}

// readPlan returns the snapshot of the plan record of this commit (its
// records and the blob as stored), or nil when there is none, or none of
// exactly the images names.
func (r *run) readPlan(ctx context.Context, names []string) (*graph.Snapshot, []byte, error) {
	fail := func(err error) error {
		return fmt.Errorf("release shard %s: read the plan record: %w", r.opts.Shard, err)
	}
	ref := r.shardRepo() + ":" + PlanTag(r.info.Commit)
	tag, err := imageref.Parse(ref, r.opts.Insecure)
	if err != nil {
		return nil, nil, fail(err)
	}
	ropts := layering.RemoteOptions(ctx, r.lookupOptions()...)
	img, err := remote.Image(tag, ropts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == 404 {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fail(err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, fail(err)
	}
	if m.ArtifactType != PlanMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != SnapshotMediaType {
		r.logf("shard %s: %s is not a plan record of this gobake (artifactType %q): planning every image\n", r.opts.Shard, ref, m.ArtifactType)
		return nil, nil, nil
	}
	l, err := img.LayerByDigest(m.Layers[0].Digest)
	if err != nil {
		return nil, nil, fail(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, nil, fail(err)
	}
	var blob bytes.Buffer
	_, err = blob.ReadFrom(rc) // the digest is verified at EOF
	rc.Close()
	if err != nil {
		return nil, nil, fail(err)
	}
	doc, err := gunzipBytes(blob.Bytes())
	if err != nil {
		return nil, nil, fail(err)
	}
	records, err := decodeSnapshot(doc)
	if err != nil {
		return nil, nil, fail(err)
	}
	if !slices.Equal(slices.Sorted(maps.Keys(records)), slices.Sorted(slices.Values(names))) {
		r.logf("shard %s: the plan record %s is of other images: planning every image\n", r.opts.Shard, ref)
		return nil, nil, nil
	}
	r.logf("shard %s: deciding with the plan record %s\n", r.opts.Shard, ref)
	return &graph.Snapshot{Root: r.cfg.Root, Records: records}, blob.Bytes(), nil
}

// planOwn plans the images mine, when the snapshot came from the plan
// record: their records must be the snapshot's, or errPlanDiffers.
func (r *run) planOwn(ctx context.Context, mine []string, plan func(context.Context, []string) (*planner.Plan, error)) error {
	if r.targets != nil {
		return nil // planned every image
	}
	if len(mine) == 0 {
		r.targets = &planner.Plan{Snapshot: &graph.Snapshot{Root: r.cfg.Root, Records: map[string]*graph.Record{}}}
		return nil
	}
	p, err := plan(ctx, mine)
	if err != nil {
		return err
	}
	own, want := map[string]*graph.Record{}, map[string]*graph.Record{}
	for _, n := range mine {
		own[n], want[n] = p.Snapshot.Records[n], r.snap.Records[n]
	}
	a, err := encodeSnapshot(own)
	if err != nil {
		return err
	}
	b, err := encodeSnapshot(want)
	if err != nil {
		return err
	}
	if !bytes.Equal(a, b) {
		return errPlanDiffers
	}
	r.targets = p
	r.logf("shard %s: planned its %d image(s): their inputs are the plan record's\n", r.opts.Shard, len(mine))
	return nil
}

// shard plans and runs the attempt of a shard: with the plan record's
// snapshot when there is one that this job's own inputs agree with,
// planning only its images; else planning every image.
func (r *run) shard(ctx context.Context, names []string, plan func(context.Context, []string) (*planner.Plan, error)) error {
	snap, blob, err := r.readPlan(ctx, names)
	if err != nil { // an accelerator: the shard can plan without it
		if ctx.Err() != nil {
			return err
		}
		r.logf("%v: planning every image\n", err)
	}
	if snap != nil {
		r.snap, r.snapBlob = snap, blob
		err := r.shardAttempt(ctx, names, plan)
		if !errors.Is(err, errPlanDiffers) {
			return err
		}
		r.logf("shard %s: %v: planning every image\n", r.opts.Shard, err)
		r.report.Images, r.report.Skipped, r.snapBlob = []Image{}, []Skipped{}, nil
	}
	p, err := plan(ctx, names)
	if err != nil {
		return err
	}
	r.targets, r.snap = p, p.Snapshot
	return r.shardAttempt(ctx, names, plan)
}

// gunzipBytes returns b decompressed.
func gunzipBytes(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
