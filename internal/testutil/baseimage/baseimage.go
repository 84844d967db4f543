// Package baseimage makes the "static" base image gobake's tests and sample
// build on: a tiny, deterministic, multi-platform stand-in for distroless
// static, made by code so no test pulls an image from the internet.
//
// Each platform's image has one layer holding /etc/passwd (root and nonroot
// 65532), /etc/group, /etc/os-release, /tmp and /home/nonroot, and a config
// whose env sets PATH. The same inputs always give the same digests.
package baseimage

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Path is the PATH in the base's environment.
const Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// RefName is the org.opencontainers.image.ref.name annotation of the index
// in a layout written by WriteLayout, so "oci:DIR:latest" names it.
const RefName = "latest"

// Platforms are the platforms of the base index, in index order.
var Platforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64"},
}

// epoch is the modification and creation time of everything in the image.
var epoch = time.Unix(0, 0).UTC()

type entry struct {
	name string
	mode int64
	uid  int
	body string // "" with a trailing slash in name: a directory
}

var files = []entry{
	{name: "etc/", mode: 0o755},
	{name: "etc/group", mode: 0o644, body: "root:x:0:\nnonroot:x:65532:\n"},
	{name: "etc/os-release", mode: 0o644, body: "ID=gobake-static\nPRETTY_NAME=\"gobake test static base\"\n"},
	{name: "etc/passwd", mode: 0o644, body: "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
	{name: "home/", mode: 0o755},
	{name: "home/nonroot/", mode: 0o700, uid: 65532},
	{name: "root/", mode: 0o700},
	{name: "tmp/", mode: 0o1777},
}

// layerTar returns the uncompressed tar of the base's only layer.
func layerTar() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.name,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.uid,
			ModTime: epoch,
			Format:  tar.FormatPAX,
		}
		if f.name[len(f.name)-1] == '/' {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("write tar header %s: %w", f.name, err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			return nil, fmt.Errorf("write tar entry %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}

// Image returns the base image of one platform.
func Image(p v1.Platform) (v1.Image, error) {
	raw, err := layerTar()
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("make base layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "gobake baseimage", Comment: "static base for tests"},
		MediaType: types.OCILayer,
	})
	if err != nil {
		return nil, fmt.Errorf("append base layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read base config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: epoch}
	cf.OS = p.OS
	cf.Architecture = p.Architecture
	cf.Variant = p.Variant
	cf.Config.Env = []string{"PATH=" + Path}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("set base config for %s: %w", p, err)
	}
	return img, nil
}

// Index returns the multi-platform base: an OCI index of one image per
// entry of Platforms.
func Index() (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range Platforms {
		img, err := Image(p)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        plainImage{img},
			Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &p},
		})
	}
	return idx, nil
}

// plainImage is an image whose index descriptor has no artifactType:
// go-containerregistry otherwise copies the config media type there, which
// real base indexes do not have and skopeo 1.9 cannot keep.
type plainImage struct{ v1.Image }

// ArtifactType returns "": the image is not an artifact.
func (plainImage) ArtifactType() (string, error) { return "", nil }

// WriteLayout writes the base index to a new OCI layout at dir, annotated
// with the ref name RefName. dir must not exist yet or be empty.
func WriteLayout(dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("write base layout: %s is not empty", dir)
	}
	idx, err := Index()
	if err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write base layout %s: %w", dir, err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": RefName,
	})); err != nil {
		return fmt.Errorf("write base index to %s: %w", dir, err)
	}
	return nil
}

// Push writes the base index to the registry reference ref, e.g.
// "127.0.0.1:5000/bases/static:latest"; plain HTTP is allowed. It returns
// the pushed index's digest reference.
func Push(ctx context.Context, ref string, opts ...remote.Option) (name.Digest, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return name.Digest{}, fmt.Errorf("push base: %w", err)
	}
	idx, err := Index()
	if err != nil {
		return name.Digest{}, err
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := remote.WriteIndex(r, idx, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("push base to %s: %w", ref, err)
	}
	h, err := idx.Digest()
	if err != nil {
		return name.Digest{}, fmt.Errorf("push base: %w", err)
	}
	return r.Context().Digest(h.String()), nil
}
