package layering

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
)

// Target is one image to build, fully resolved by the planner: the image,
// the template facts its settings render with, its rendered tags, the
// annotations added to every manifest (its input digest), its resolved
// base and one PlatformTarget per platform. A Builder builds targets as
// given: it expands no platform and resolves no base.
type Target struct {
	Image       config.Image
	Info        config.BuildInfo  // what templates see (.Version, .Git, .Date, .Env)
	Tags        []string          // rendered tags to publish under
	Annotations map[string]string // added last to every manifest, winning over configured ones
	Platforms   []PlatformTarget  // in build order
	base        *base
}

// PlatformTarget is one platform of a Target.
type PlatformTarget struct {
	Platform   string      // os/arch[/variant] as asked for, or as the base lists it for "all": the key of its inputs
	Build      v1.Platform // the platform built, as the base describes it (e.g. with its variant)
	GoEnv      []string    // GOOS, GOARCH and variant variables go build gets (platform.GoEnv of Build)
	BaseDigest string      // digest of the base image manifest, or "scratch"
	// Inputs is the input digest of the image for this platform, set by
	// the planner ("" when unknown): the Builder passes it to the
	// compiler (CompileRequest.Inputs).
	Inputs string
	base   baseImage
}

// Bases resolves base image references, each at most once however many
// images and platforms share it, and makes the Targets of images on them.
// It is safe for concurrent use.
//
// A resolved base fetches its manifests and blobs lazily, with the context
// the Bases was made with, and the targets keep it: so that context must
// outlive the build, and not be the (perhaps shorter) context of one call.
type Bases struct {
	ctx   context.Context
	bases *bases
}

// NewBases returns a Bases for the repository at root (oci: paths are
// recorded relative to it) that reaches registries with opts (see
// WithRegistryInsecure).
func NewBases(ctx context.Context, root string, opts ...RegistryOption) *Bases {
	return &Bases{ctx: ctx, bases: &bases{root: root, insecure: makeRegistryOptions(opts...).insecure, registry: opts}}
}

// Target resolves the base of img and the base image of each of its
// platforms: platforms when given, else img.Platforms; "all" stands for
// every platform of the base. Info, Tags and Annotations are left for the
// planner to fill in.
func (s *Bases) Target(ctx context.Context, img config.Image, platforms []string) (Target, error) {
	if err := ctx.Err(); err != nil {
		return Target{}, err
	}
	b, err := s.bases.get(s.ctx, img.BaseRef)
	if err != nil {
		return Target{}, err
	}
	specs := img.Platforms
	if len(platforms) > 0 {
		specs = platforms
	}
	var wanted []string
	for _, spec := range specs {
		if spec != platform.All {
			wanted = append(wanted, spec)
			continue
		}
		all, err := b.platforms()
		if err != nil {
			return Target{}, err
		}
		for _, p := range all {
			wanted = append(wanted, platform.Format(p))
		}
	}
	if len(wanted) == 0 {
		return Target{}, fmt.Errorf("no platform to build")
	}
	t := Target{Image: img, base: b}
	for _, w := range wanted {
		p, err := platform.Parse(w)
		if err != nil {
			return Target{}, err
		}
		bi, err := b.forPlatform(p)
		if err != nil {
			return Target{}, fmt.Errorf("%s: %w", w, err)
		}
		env, err := platform.GoEnv(bi.platform)
		if err != nil {
			return Target{}, err
		}
		pt := PlatformTarget{Platform: w, Build: bi.platform, GoEnv: env, BaseDigest: config.Scratch, base: bi}
		if bi.name != "" {
			pt.BaseDigest = bi.digest.String()
		}
		t.Platforms = append(t.Platforms, pt)
	}
	return t, nil
}
