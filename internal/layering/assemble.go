package layering

import (
	"fmt"
	"maps"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// BaseNameAnnotation records the reference of the base image, when it
	// is one a client can pull: not for an oci: layout base.
	BaseNameAnnotation = "org.opencontainers.image.base.name"
	// BaseDigestAnnotation records the manifest digest of the base image.
	BaseDigestAnnotation = "org.opencontainers.image.base.digest"
)

// LayoutVersion names what the builder writes around a binary for the same
// inputs: the layers, their names, modes and order, and the config. It is
// an input of every image (graph.Target.Layout), so a gobake that ships
// images differently flags every image as changed once instead of keeping
// images that a full build would no longer reproduce. Bump it with any
// such change. Version 2: /var/run/ko always, data files 0555 as ko.
// Version 3: no inputs annotation on the manifest. Version 4: layers
// compressed by klauspost/compress's gzip (other bytes than the standard
// library's). Version 5: gzip level 2 of klauspost/compress v1.20, whose
// encoder writes other bytes than v1.19's.
const LayoutVersion = "5"

// defaultPath is PATH when the base image sets none, as in ko.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// assembly is what goes onto a base image for one platform.
type assembly struct {
	image       string // image name, for the history
	base        baseImage
	platform    v1.Platform       // platform of the result
	binaryPath  string            // the compiled binary on disk
	binary      string            // its name under AppDir
	dataDir     string            // static files, "" when none
	user        string            // config user, "" keeps the base's
	labels      map[string]string // config labels, merged over the base's
	annotations map[string]string // manifest annotations
	created     time.Time         // config, history and file times
	compression Compression       // of the new layers ("" is gzip)
	cache       *layerCache       // where layers are kept between runs, nil for nowhere
	buildIDs    bool              // the binary's Go build ID is go's own: it may find the layer in the cache
}

// assemble layers the binary (and static files) onto the base image and
// sets the runtime configuration ko users expect: entrypoint
// /ko-app/<binary>, /ko-app on PATH and, like ko, KO_DATA_PATH=/var/run/ko
// whether or not there is data (code written for ko may read it
// unconditionally).
func assemble(a assembly) (v1.Image, error) {
	mt, err := a.base.image.MediaType()
	if err != nil {
		return nil, fmt.Errorf("base media type: %w", err)
	}
	layerType := types.OCILayer
	switch {
	case a.compression == CompressionZstd && mt == types.DockerManifestSchema2:
		return nil, fmt.Errorf("zstd layers need an OCI base image, %s is a Docker image", a.base.name)
	case a.compression == CompressionZstd:
		layerType = types.OCILayerZStd
	case mt == types.DockerManifestSchema2:
		layerType = types.DockerLayer
	}
	format := layerFormat{mt: layerType, compression: a.compression, cache: a.cache, buildIDs: a.buildIDs}
	created := v1.Time{Time: a.created.UTC()}
	appPath := path.Join(AppDir, a.binary)

	// Like ko, the data layer is there even without data: DataDir exists
	// in every image, as KO_DATA_PATH promises.
	var adds []mutate.Addendum
	dl, err := dataLayer(a.dataDir, a.created, format)
	if err != nil {
		return nil, err
	}
	adds = append(adds, mutate.Addendum{Layer: dl, MediaType: layerType, History: v1.History{
		Author: UserAgent, Created: created, CreatedBy: "gobake build " + a.image,
		Comment: "static files, at $" + DataPathEnv,
	}})
	l, err := binaryLayer(a.binaryPath, a.binary, a.created, format)
	if err != nil {
		return nil, err
	}
	adds = append(adds, mutate.Addendum{Layer: l, MediaType: layerType, History: v1.History{
		Author: UserAgent, Created: created, CreatedBy: "gobake build " + a.image,
		Comment: "go build output, at " + appPath,
	}})
	img, err := mutate.Append(a.base.image, adds...)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = created
	cf.Author = UserAgent
	cf.OS, cf.Architecture, cf.Variant = a.platform.OS, a.platform.Architecture, a.platform.Variant
	if a.platform.OSVersion != "" {
		cf.OSVersion = a.platform.OSVersion
	}
	cf.Config.Entrypoint = []string{appPath}
	cf.Config.Cmd = nil
	cf.Config.Env = setPath(cf.Config.Env, AppDir)
	cf.Config.Env = setEnv(cf.Config.Env, DataPathEnv, DataDir)
	if a.user != "" {
		cf.Config.User = a.user
	}
	if len(a.labels) > 0 {
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		maps.Copy(cf.Config.Labels, a.labels)
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}

	anns := maps.Clone(a.annotations)
	if anns == nil {
		anns = map[string]string{}
	}
	baseAnnotations(anns, a.base.name, a.base.local, a.base.digest)
	if len(anns) > 0 {
		img = mutate.Annotations(img, anns).(v1.Image)
	}
	return img, nil
}

// setEnv sets key=value in env, replacing an earlier value.
func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// setPath appends dir to PATH in env, keeping the base image's PATH.
func setPath(env []string, dir string) []string {
	for i, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, d := range strings.Split(p, ":") {
				if d == dir {
					return env
				}
			}
			out := append([]string(nil), env...)
			out[i] = kv + ":" + dir
			return out
		}
	}
	return append(append([]string(nil), env...), "PATH="+defaultPath+":"+dir)
}

// baseAnnotations records the base in anns: its digest, and its name when
// it is a pullable reference. Scratch (no name) records nothing.
func baseAnnotations(anns map[string]string, name string, local bool, digest v1.Hash) {
	if name == "" {
		return
	}
	if !local {
		anns[BaseNameAnnotation] = name
	}
	anns[BaseDigestAnnotation] = digest.String()
}
