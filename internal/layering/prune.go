package layering

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Pruned is what PruneLayout removed, or would remove with dryRun.
type Pruned struct {
	Entries []string  // index.json entries dropped: referrers whose subject is gone (ref names)
	Blobs   []v1.Hash // the unreachable blobs, sorted
	Bytes   int64     // their total size
	Temps   []string  // temporary files of interrupted writes, relative to the layout
}

// PruneLayout deletes the blobs of the OCI layout at dir that no entry of
// its index.json reaches (through image indexes and manifests: their
// manifests, configs and layers), and the temporary files interrupted
// writes left. Referrers (an SBOM under its fallback tag) live as long as
// their subject: an entry whose subject no other entry reaches is dropped
// from index.json first, so that the SBOM of an image whose tag moved
// goes with the image. With dryRun it changes nothing and says what it
// would.
//
// It holds the layout's blobs lock exclusively and then its index lock,
// so it waits for every Publish in progress, in this process or another,
// and none starts until it is done: a blob a build wrote or found present
// is never deleted before index.json names it. A manifest index.json
// reaches but the layout lacks is an error, and nothing is deleted then.
func PruneLayout(ctx context.Context, dir string, dryRun bool) (Pruned, error) {
	fail := func(err error) (Pruned, error) { return Pruned{}, fmt.Errorf("prune oci layout %s: %w", dir, err) }
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return fail(err) // not a layout: delete nothing
	}
	unshare, err := lockBlobs(ctx, dir, true)
	if err != nil {
		return fail(err)
	}
	defer unshare()
	unlock, err := lockLayout(ctx, dir)
	if err != nil {
		return fail(err)
	}
	defer unlock()

	im, err := readLayoutIndex(dir)
	if err != nil {
		return fail(err)
	}
	keep, live, err := reachable(dir, im.Manifests)
	if err != nil {
		return fail(err)
	}
	var p Pruned
	if len(live) < len(im.Manifests) {
		for _, d := range im.Manifests {
			if !slices.ContainsFunc(live, func(l v1.Descriptor) bool {
				return l.Digest == d.Digest && l.Annotations[AnnotationRefName] == d.Annotations[AnnotationRefName]
			}) {
				p.Entries = append(p.Entries, entryName(d))
			}
		}
		if !dryRun {
			im.Manifests = live
			raw, err := json.MarshalIndent(im, "", "  ")
			if err != nil {
				return fail(err)
			}
			if err := writeFileAtomic(filepath.Join(dir, "index.json"), raw); err != nil {
				return fail(fmt.Errorf("write index.json: %w", err))
			}
		}
	}
	root := filepath.Join(dir, "blobs")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		alg, hex := filepath.Base(filepath.Dir(path)), d.Name()
		h, herr := v1.NewHash(alg + ":" + hex)
		switch {
		case herr != nil:
			p.Temps = append(p.Temps, filepath.ToSlash(rel))
		case keep[h]:
			return nil
		default:
			info, err := d.Info()
			if err != nil {
				return err
			}
			p.Blobs = append(p.Blobs, h)
			p.Bytes += info.Size()
		}
		if !dryRun {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return ctx.Err()
	})
	slices.SortFunc(p.Blobs, func(a, b v1.Hash) int { return strings.Compare(a.String(), b.String()) })
	if err != nil {
		return p, fmt.Errorf("prune oci layout %s: %w", dir, err)
	}
	return p, nil
}

// reachable returns the blobs entries reach and the entries that stay:
// every entry but the referrers (manifests with a subject, such as an SBOM
// under its fallback tag) whose subject no staying entry reaches any more.
func reachable(dir string, entries []v1.Descriptor) (map[v1.Hash]bool, []v1.Descriptor, error) {
	keep := map[v1.Hash]bool{}
	subjects := make([]*v1.Hash, len(entries))
	for i, d := range entries {
		s, err := subjectOf(dir, d)
		if err != nil {
			return nil, nil, err
		}
		subjects[i] = s
	}
	stays := make([]bool, len(entries))
	for changed := true; changed; {
		changed = false
		for i, d := range entries {
			if stays[i] || subjects[i] != nil && !keep[*subjects[i]] {
				continue
			}
			if err := reach(dir, d, keep); err != nil {
				return nil, nil, err
			}
			stays[i], changed = true, true
		}
	}
	var live []v1.Descriptor
	for i, d := range entries {
		if stays[i] {
			live = append(live, d)
		}
	}
	return keep, live, nil
}

// subjectOf is the subject of the manifest d describes, nil when it has
// none.
func subjectOf(dir string, d v1.Descriptor) (*v1.Hash, error) {
	if !d.MediaType.IsImage() && !d.MediaType.IsIndex() {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "blobs", d.Digest.Algorithm, d.Digest.Hex))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	var m struct {
		Subject *v1.Descriptor `json:"subject"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	if m.Subject == nil {
		return nil, nil
	}
	return &m.Subject.Digest, nil
}

// entryName is how an index.json entry is shown: its ref name, else its
// digest.
func entryName(d v1.Descriptor) string {
	if n := d.Annotations[AnnotationRefName]; n != "" {
		return n
	}
	return d.Digest.String()
}

// reach marks d and every blob it references in keep, reading manifests
// and indexes from the layout at dir. A subject is not followed: a
// referrer does not keep its subject.
func reach(dir string, d v1.Descriptor, keep map[v1.Hash]bool) error {
	if keep[d.Digest] {
		return nil
	}
	keep[d.Digest] = true
	if !d.MediaType.IsIndex() && !d.MediaType.IsImage() {
		return nil // a blob that references nothing
	}
	b, err := os.ReadFile(filepath.Join(dir, "blobs", d.Digest.Algorithm, d.Digest.Hex))
	if err != nil {
		return fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	if d.MediaType.IsIndex() {
		child, err := v1.ParseIndexManifest(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("index %s: %w", d.Digest, err)
		}
		for _, c := range child.Manifests {
			if err := reach(dir, c, keep); err != nil {
				return err
			}
		}
		return nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	keep[m.Config.Digest] = true
	for _, l := range m.Layers {
		keep[l.Digest] = true
	}
	return nil
}
