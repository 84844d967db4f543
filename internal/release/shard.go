package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/go-multierror"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/ociartifact"
	"github.com/gobake/gobake/internal/planner"
)

// A sharded release spreads the builds of one release over N CI jobs
// (release --shard K/N) and leaves the rest to one job after them
// (release --finalize). Each shard decides the versions as a release
// would, builds and pushes by digest the images that planner.Assign puts
// in its shard, and records what it pushed in the registry: an artifact
// (ShardMediaType) tagged ShardTag in the repository ShardRepository.
// Nothing visible moves: no version tag, no claim, no GitOps commit.
// Finalize decides again, takes every image's build from the records
// (same version and inputs, or it is an error naming the shard to run
// again), checks each digest is in the registry and goes on exactly as an
// unsharded release: claims, tags, GitOps. Builds are reproducible, so the
// result is the very one of an unsharded release of the commit.
//
// A record has two layers: the shard's own (shardRecord) and the plan's
// snapshot, the inputs records of every image of the release
// (SnapshotMediaType). Every shard plans the same commit, so the snapshot
// layer is the same blob in every record, which the registry stores once
// and finalize reads once.

// ShardMediaType is the artifact type of a shard's record, and the media
// type of its first layer: the shardRecord as JSON, gzip-compressed.
const ShardMediaType = "application/vnd.gobake.release-shard.v3+json+gzip"

// SnapshotMediaType is the media type of a record's second layer: the
// inputs records of every image of the release, each input written once
// (snapshotDoc), as JSON, gzip-compressed: 0.8 MB for the 300 images of
// the synthetic monorepo, whose records are 18 MB of JSON.
const SnapshotMediaType = "application/vnd.gobake.release-snapshot.v1+json+gzip"

// olderShardTypes are the artifact types of the records of gobake before
// ShardMediaType: refused with a clear error, the shards must run again
// with this gobake. v1 was uncompressed JSON, v2 held the snapshot inside
// every shard's record.
var olderShardTypes = []string{
	"application/vnd.gobake.release-shard.v1+json",
	"application/vnd.gobake.release-shard.v2+json+gzip",
}

// ShardRepository is the repository, under the registry, holding the
// records of sharded releases.
const ShardRepository = "gobake-release"

// shardSchema is the version of shardRecord.
const shardSchema = 3

// shardRecord is what one shard of a release pushed.
type shardRecord struct {
	Schema int          `json:"schema"`
	Commit string       `json:"commit"`
	Shard  string       `json:"shard"` // K/N
	Plan   string       `json:"plan"`  // planDigest of the images every shard builds
	Images []shardImage `json:"images"`
	// Snapshot is the digest of the record's snapshot layer: the inputs of
	// every image of the release, built or not, which finalize decides
	// with instead of planning again.
	Snapshot string `json:"snapshot"`
}

// shardImage is one image a shard built and pushed by digest.
type shardImage struct {
	Image      string   `json:"image"`
	Version    string   `json:"version"`
	Inputs     string   `json:"inputs"`
	Digest     string   `json:"digest"`
	Platforms  []string `json:"platforms"`
	SBOM       []string `json:"sbom"`
	SameOutput bool     `json:"sameOutput,omitempty"` // its build is its last release's image: nothing to release
}

// ShardTag is the tag of the record of shard s of the release of commit.
func ShardTag(commit string, s planner.Shard) string {
	return fmt.Sprintf("shard-%s-%dof%d", commit, s.K, s.N)
}

// shardTagPattern parses ShardTag.
var shardTagPattern = regexp.MustCompile(`^shard-([0-9a-f]+)-([0-9]+)of([0-9]+)$`)

// shardRepo is the repository of the records, registry included.
func (r *run) shardRepo() string {
	return imageref.Join(r.opts.Registry, ShardRepository)
}

// buildSet returns the images of the release that shards build: all but
// those claimed already (at this commit or, to complete, at another), in
// report order. Shards and finalize compute it alike from the same tags.
func (r *run) buildSet() []string {
	var out []string
	for _, img := range r.report.Images {
		if !img.Claimed {
			out = append(out, img.Image)
		}
	}
	return out
}

// planDigest identifies what the shards of this release build: every
// image of names with its version and inputs, and the SBOM formats.
func (r *run) planDigest(names []string) string {
	h := sha256.New()
	for _, img := range r.report.Images {
		if slices.Contains(names, img.Image) {
			fmt.Fprintf(h, "%s %s %s\n", img.Image, img.Version, img.Inputs)
		}
	}
	fmt.Fprintf(h, "sbom %v default %t\n", r.opts.SBOMFormats, r.opts.SBOMFormats == nil) // nil: SPDX; empty: none
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// shardAttempt is the attempt of a shard: decide, keep this shard's
// images, build and push them by digest, record them. Nothing visible
// moves.
func (r *run) shardAttempt(ctx context.Context, names []string, planImages func(context.Context, []string) (*planner.Plan, error)) error {
	if err := r.decideAndPlan(ctx, names); err != nil {
		return err
	}
	set := r.buildSet()
	plan := r.planDigest(set)
	mine := planner.InShard(r.snap, set, r.opts.Shard)
	var keep []Image
	for _, img := range r.report.Images {
		if slices.Contains(mine, img.Image) {
			img.Shard = r.opts.Shard.String()
			keep = append(keep, img)
		}
	}
	r.report.Images = append([]Image{}, keep...)
	if err := r.planOwn(ctx, mine, planImages); err != nil {
		return err
	}
	r.logf("shard %s: %d of the %d image(s) to build: %s\n", r.opts.Shard, len(mine), len(set), strings.Join(mine, " "))
	for _, step := range []func(context.Context) error{r.reuse, r.build, r.sameOutput, r.push, r.checkPushed} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return r.recordShard(ctx, plan)
}

// recordShard pushes the record of this shard: every image it built,
// same-output ones included, and the plan's snapshot.
func (r *run) recordShard(ctx context.Context, plan string) error {
	fail := func(err error) error { return fmt.Errorf("release shard %s: %w", r.opts.Shard, err) }
	snap := r.snapBlob // the plan record's
	if snap == nil {
		var err error
		if snap, err = encodeSnapshot(r.snap.Records); err != nil { // the same bytes in every shard
			return fail(err)
		}
	}
	rec := shardRecord{Schema: shardSchema, Commit: r.info.Commit, Shard: r.opts.Shard.String(), Plan: plan, Images: []shardImage{}, Snapshot: digestOf(snap)}
	for _, img := range slices.Concat(r.report.Images, r.same) {
		rec.Images = append(rec.Images, shardImage{
			Image: img.Image, Version: img.Version, Inputs: img.Inputs, Digest: img.Digest,
			Platforms: img.Platforms, SBOM: img.SBOM, SameOutput: slices.ContainsFunc(r.same, func(s Image) bool { return s.Image == img.Image }),
		})
	}
	slices.SortFunc(rec.Images, func(a, b shardImage) int { return strings.Compare(a.Image, b.Image) })
	doc, err := json.Marshal(rec)
	if err != nil {
		return fail(err)
	}
	if doc, err = gzipped(doc); err != nil {
		return fail(err)
	}
	art, err := ociartifact.Bundle(ShardMediaType, []ociartifact.Document{{Data: doc, MediaType: ShardMediaType}, {Data: snap, MediaType: SnapshotMediaType}})
	if err != nil {
		return fail(err)
	}
	ref := r.shardRepo() + ":" + ShardTag(r.info.Commit, r.opts.Shard)
	tag, err := imageref.Parse(ref, r.opts.Insecure)
	if err != nil {
		return fail(err)
	}
	// remote.Write uploads only the blobs the repository lacks: the
	// snapshot of a shard that records after another is not sent again.
	if err := remote.Write(tag, art, layering.RemoteOptions(ctx, r.registryOptions()...)...); err != nil {
		return fail(fmt.Errorf("record %s: %w", ref, err))
	}
	r.report.ShardRecord = ref
	r.logf("shard %s: recorded %d image(s) as %s (snapshot %s, %d bytes)\n", r.opts.Shard, len(rec.Images), ref, rec.Snapshot, len(snap))
	return nil
}

// readShards reads the records of this commit's shards: those of N
// shards, N being Options.Shards or, when 0, the only count recorded.
func (r *run) readShards(ctx context.Context) (int, map[int]*shardRecord, error) {
	repo, err := imageref.Repository(r.shardRepo(), r.opts.Insecure)
	if err != nil {
		return 0, nil, fmt.Errorf("release --finalize: %w", err)
	}
	ropts := layering.RemoteOptions(ctx, r.lookupOptions()...)
	tags, err := remote.List(repo, ropts...)
	var terr *transport.Error
	if err != nil && !(errors.As(err, &terr) && terr.StatusCode == 404) {
		return 0, nil, fmt.Errorf("release --finalize: list the shard records in %s: %w", repo, err)
	}
	byN := map[int][]int{}
	for _, t := range tags {
		m := shardTagPattern.FindStringSubmatch(t)
		if m == nil || m[1] != r.info.Commit {
			continue
		}
		k, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		byN[n] = append(byN[n], k)
	}
	n := r.opts.Shards
	if n == 0 {
		counts := slices.Sorted(maps.Keys(byN))
		switch len(counts) {
		case 0:
			return 0, nil, fmt.Errorf("release --finalize: no shard of the release of %s recorded in %s: run gobake release --shard K/N for every K first", short(r.info.Commit), repo)
		case 1:
			n = counts[0]
		default:
			return 0, nil, fmt.Errorf("release --finalize: records of %s shards of %s in %s: say which with --shards N", joinInts(counts, " and "), short(r.info.Commit), repo)
		}
	}
	out := make(map[int]*shardRecord, len(byN[n]))
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(registryJobs)
	for _, k := range byN[n] {
		g.Go(func() error {
			s := planner.Shard{K: k, N: n}
			rec, err := readShard(ctx, repo.Tag(ShardTag(r.info.Commit, s)).String(), r.opts.Insecure, ropts)
			if err != nil {
				return fmt.Errorf("release --finalize: shard %s: %w", s, err)
			}
			mu.Lock()
			out[k] = rec
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, nil, err
	}
	return n, out, nil
}

// readShard reads the record tagged ref (its first layer; the snapshot
// layer is read by readSnapshot).
func readShard(ctx context.Context, ref string, insecure bool, ropts []remote.Option) (*shardRecord, error) {
	tag, err := imageref.Parse(ref, insecure)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(tag, ropts...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	if slices.Contains(olderShardTypes, m.ArtifactType) {
		return nil, fmt.Errorf("read %s: a record of an older gobake (%s): run the shards again with this one", ref, m.ArtifactType)
	}
	if m.ArtifactType != ShardMediaType || len(m.Layers) != 2 || m.Layers[0].MediaType != ShardMediaType || m.Layers[1].MediaType != SnapshotMediaType {
		return nil, fmt.Errorf("read %s: not a shard record (artifactType %q, %d layer(s))", ref, m.ArtifactType, len(m.Layers))
	}
	b, err := readGzipLayer(img, m.Layers[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	var rec shardRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	if rec.Schema != shardSchema {
		return nil, fmt.Errorf("read %s: record schema %d, this gobake reads %d", ref, rec.Schema, shardSchema)
	}
	if rec.Snapshot != m.Layers[1].Digest.String() {
		return nil, fmt.Errorf("read %s: the record names snapshot %s, its manifest %s", ref, rec.Snapshot, m.Layers[1].Digest)
	}
	return &rec, nil
}

// readSnapshot reads the snapshot layer of digest d from the records'
// repository: a snapshotDoc as JSON.
func readSnapshot(ctx context.Context, repo name.Repository, d string, ropts []remote.Option) ([]byte, error) {
	ref := repo.Digest(d)
	l, err := remote.Layer(ref, ropts...)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", ref, err)
	}
	b, err := gunzipLayer(l)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", ref, err)
	}
	return b, nil
}

// readGzipLayer returns the uncompressed bytes of img's layer d.
func readGzipLayer(img v1.Image, d v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(d)
	if err != nil {
		return nil, err
	}
	return gunzipLayer(l)
}

// gunzipLayer returns the bytes of a gzip-compressed document layer. An
// artifact layer's Uncompressed does not undo gzip, so the blob as stored
// is read and decompressed here; the blob's digest is verified as read.
func gunzipLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, rc); err != nil { // to the end: the digest is checked at EOF
		return nil, err
	}
	return b, nil
}

// collect takes the build of every image to release from the shards'
// records, in place of building it: same version and inputs, or an error
// naming the shard to run again. Every missing build is reported, by
// shard.
func (r *run) collect(ctx context.Context) error {
	var need []*Image
	for i := range r.report.Images {
		if img := &r.report.Images[i]; !img.Reused { // claimed ones are adopted, reused ones found
			need = append(need, img)
		}
	}
	if len(need) == 0 {
		return nil
	}
	n, recs := r.shardN, r.shardRecs
	set := r.buildSet()
	plan := r.planDigest(set)
	assign := planner.Assign(r.snap, set, n)
	type built struct {
		img   shardImage
		shard string
	}
	found := map[string]built{}
	for _, k := range slices.Sorted(maps.Keys(recs)) {
		for _, si := range recs[k].Images {
			found[si.Image] = built{si, recs[k].Shard}
		}
	}
	var errs *multierror.Error
	missing := map[int][]string{}
	for _, img := range need {
		b, ok := found[img.Image]
		switch {
		case !ok:
			missing[assign[img.Image]] = append(missing[assign[img.Image]], img.Image)
		case b.img.Version != img.Version || b.img.Inputs != img.Inputs:
			errs = multierror.Append(errs, fmt.Errorf("release of %s: shard %s built it as %s (inputs %s), this release makes %s (inputs %s): a release was claimed or the source changed since; run shard %s again, then --finalize", img.Image, b.shard, b.img.Version, b.img.Inputs, img.Version, img.Inputs, b.shard))
		default:
			img.Digest = b.img.Digest
			img.Reference = img.Repository + "@" + img.Digest
			img.Platforms = append([]string{}, b.img.Platforms...)
			img.SBOM = append([]string{}, b.img.SBOM...)
			img.Shard = b.shard
		}
	}
	for _, k := range slices.Sorted(maps.Keys(missing)) {
		s := planner.Shard{K: k, N: n}
		imgs := strings.Join(missing[k], ", ")
		again := fmt.Sprintf("run it again (gobake release --shard %s), then --finalize", s)
		switch rec := recs[k]; {
		case rec == nil:
			errs = multierror.Append(errs, fmt.Errorf("release: shard %s left no record (%s:%s): it failed or did not run; %s (it builds %s)", s, r.shardRepo(), ShardTag(r.info.Commit, s), again, imgs))
		case rec.Plan != plan:
			errs = multierror.Append(errs, fmt.Errorf("release: shard %s ran for another plan (%s, here %s: a release was claimed or the source changed since); %s (it builds %s)", s, rec.Plan, plan, again, imgs))
		default:
			errs = multierror.Append(errs, fmt.Errorf("release: shard %s did not record %s; %s", s, imgs, again))
		}
	}
	return errs.ErrorOrNil()
}

// openShards reads the records of the shards and takes the snapshot of
// the release from them: every shard planned the same commit, so their
// snapshots are the same blob (read once), and one a shard computed is the
// one finalize would. names must all be in it.
func (r *run) openShards(ctx context.Context, names []string) error {
	n, recs, err := r.readShards(ctx)
	if err != nil {
		return err
	}
	r.shardN, r.shardRecs = n, recs
	if len(recs) == 0 {
		return fmt.Errorf("release --finalize: no shard of %d recorded for %s: run gobake release --shard K/%d for every K first", n, short(r.info.Commit), n)
	}
	repo, err := imageref.Repository(r.shardRepo(), r.opts.Insecure)
	if err != nil {
		return fmt.Errorf("release --finalize: %w", err)
	}
	ropts := layering.RemoteOptions(ctx, r.lookupOptions()...)
	var from string
	var want []byte
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(recs)) {
		rec := recs[k]
		if seen[rec.Snapshot] {
			continue
		}
		seen[rec.Snapshot] = true
		// Another blob (another gobake's compression) may still hold the
		// same snapshot: compare what it says.
		b, err := readSnapshot(ctx, repo, rec.Snapshot, ropts)
		if err != nil {
			return fmt.Errorf("release --finalize: shard %s: %w", rec.Shard, err)
		}
		if want == nil {
			want, from = b, rec.Shard
			continue
		}
		if !bytes.Equal(b, want) {
			return fmt.Errorf("release --finalize: shards %s and %s planned different inputs for %s: run every shard again, then --finalize", from, rec.Shard, short(r.info.Commit))
		}
	}
	records, err := decodeSnapshot(want)
	if err != nil {
		return fmt.Errorf("release --finalize: shard %s: %w", from, err)
	}
	r.snap = &graph.Snapshot{Root: r.cfg.Root, Records: records}
	for _, name := range names {
		if r.snap.Records[name] == nil {
			return fmt.Errorf("release --finalize: shard %s did not plan image %s: run the shards and finalize with the same images", from, name)
		}
	}
	return nil
}

// gzipped returns doc gzip-compressed, the same bytes for the same doc.
func gzipped(doc []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(doc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// digestOf returns the sha256 digest of b, as a registry names a blob.
func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// joinInts joins numbers with sep.
func joinInts(ns []int, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}
