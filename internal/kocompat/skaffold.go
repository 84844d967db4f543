package kocompat

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/imageref"
)

// Skaffold's custom-builder contract: the environment of the build command.
const (
	SkaffoldImageEnv = "IMAGE"      // the fully qualified image to build, REPO:TAG
	SkaffoldPushEnv  = "PUSH_IMAGE" // "true" when the image must be pushed
	// SkaffoldPlatformsEnv lists the platforms to build, comma-separated.
	SkaffoldPlatformsEnv = "PLATFORMS"
)

// SkaffoldTarget is what `gobake build --image "$IMAGE"` builds and where
// the result goes: push the image to Registry + "/" + Repository with the
// single tag Tag (or, without a push, write it to the layout under that
// name), instead of gobake.yaml's registry, repository and tags.
type SkaffoldTarget struct {
	Image      string // image name in gobake.yaml
	Registry   string // everything before the repository; "" when $IMAGE has no registry part
	Repository string // the repository Skaffold expects
	Tag        string // the tag Skaffold expects; "latest" when $IMAGE has none
}

// Ref returns the reference the target is pushed to, REGISTRY/REPO:TAG.
func (t SkaffoldTarget) Ref() string {
	return imageref.Join(t.Registry, t.Repository) + ":" + t.Tag
}

// SkaffoldImage maps Skaffold's $IMAGE onto an image of cfg. Skaffold
// gives the artifact's image name after its default-repo rewriting, so the
// image is found by the end of the repository path, matching (longest match
// first) the image's name, its repository, or, for repositories migrated
// from ko, the names ko's naming rules give its main package (importPaths
// holds image name → import path; it may be nil). Skaffold's escaped form
// (default repo "r.example/p" and image "gcr.io/x/api" give
// "r.example/p/gcr_io_x_api") matches by its last path element.
func SkaffoldImage(cfg *config.Config, image string, importPaths map[string]string) (SkaffoldTarget, error) {
	if image == "" {
		return SkaffoldTarget{}, fmt.Errorf("no image given: Skaffold sets $%s", SkaffoldImageEnv)
	}
	if strings.Contains(image, "@") {
		return SkaffoldTarget{}, fmt.Errorf("image %q: a digest cannot be built; want REPO[:TAG]", image)
	}
	repo, tag := image, name.DefaultTag
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo, tag = image[:i], image[i+1:]
	}
	if _, err := name.NewTag(repo+":"+tag, name.WeakValidation); err != nil {
		return SkaffoldTarget{}, fmt.Errorf("image %q: %w", image, err)
	}

	type match struct {
		image, registry, repository string
		score                       int
	}
	var best []match
	consider := func(m match) {
		switch {
		case len(best) == 0 || m.score > best[0].score:
			best = []match{m}
		case m.score == best[0].score && !slices.ContainsFunc(best, func(b match) bool { return b.image == m.image }):
			best = append(best, m)
		}
	}
	last := path.Base(repo)
	for _, img := range cfg.Images {
		for _, c := range skaffoldCandidates(img, importPaths[img.Name]) {
			switch {
			case repo == c:
				consider(match{img.Name, "", c, 2*len(c) + 1})
			case strings.HasSuffix(repo, "/"+c):
				consider(match{img.Name, strings.TrimSuffix(repo, "/"+c), c, 2*len(c) + 1})
			case strings.HasSuffix(last, "_"+strings.ReplaceAll(c, "/", "_")):
				consider(match{img.Name, path.Dir(repo), last, 2 * len(c)})
			}
		}
	}
	switch len(best) {
	case 0:
		return SkaffoldTarget{}, fmt.Errorf("image %q matches no image of %s (by name, repository or ko name)", image, cfg.Path)
	case 1:
		m := best[0]
		return SkaffoldTarget{Image: m.image, Registry: m.registry, Repository: m.repository, Tag: tag}, nil
	}
	names := make([]string, len(best))
	for i, m := range best {
		names[i] = m.image
	}
	return SkaffoldTarget{}, fmt.Errorf("image %q matches several images of %s: %s", image, cfg.Path, strings.Join(names, ", "))
}

// skaffoldCandidates returns the repository paths that stand for img.
func skaffoldCandidates(img config.Image, importPath string) []string {
	c := []string{img.Name}
	if img.Repository != "" && img.Repository != img.Name {
		c = append(c, img.Repository)
	}
	if importPath != "" {
		for _, n := range []Naming{NamingKo, NamingPreserveImportPaths} {
			if r, err := RepositoryName(n, importPath, ""); err == nil && !slices.Contains(c, r) {
				c = append(c, r)
			}
		}
	}
	return c
}

// SkaffoldPush reads $PUSH_IMAGE with getenv: true means push to the
// registry, false or unset means write to the local OCI layout.
func SkaffoldPush(getenv func(string) string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(SkaffoldPushEnv))); v {
	case "true":
		return true, nil
	case "", "false":
		return false, nil
	default:
		return false, fmt.Errorf("$%s=%q: want true or false", SkaffoldPushEnv, v)
	}
}

// SkaffoldPlatforms reads $PLATFORMS with getenv: the platforms Skaffold
// wants built, nil when it names none (build the configured ones).
func SkaffoldPlatforms(getenv func(string) string) []string {
	var out []string
	for _, p := range strings.Split(getenv(SkaffoldPlatformsEnv), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Apply points cfg at t: the registry becomes t.Registry and the image t
// names gets t.Repository and the single tag t.Tag, so that building and
// publishing that image (alone) produces exactly Skaffold's $IMAGE. push
// says whether it goes to the registry ($PUSH_IMAGE); a push needs a
// registry part in $IMAGE.
func (t SkaffoldTarget) Apply(cfg *config.Config, push bool) error {
	if push && t.Registry == "" {
		return fmt.Errorf("image %s: $%s=true but %q names no registry", t.Image, SkaffoldPushEnv, t.Ref())
	}
	for i := range cfg.Images {
		if cfg.Images[i].Name == t.Image {
			cfg.Registry = t.Registry
			cfg.Images[i].Repository = t.Repository
			cfg.Images[i].Tags = []string{t.Tag}
			return nil
		}
	}
	return fmt.Errorf("no image %q in %s", t.Image, cfg.Path)
}
