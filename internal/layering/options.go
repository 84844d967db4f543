package layering

import (
	"io"
	"runtime"

	"github.com/gobake/gobake/internal/gitinfo"
)

// BuilderOption configures a Builder.
type BuilderOption func(*builderOptions)

// builderOptions is what BuilderOptions set.
type builderOptions struct {
	platforms   []string
	version     string
	git         gitinfo.Info
	environ     []string
	compiler    Compiler
	sbomFormats []SBOMFormat
	insecure    bool
	registry    []RegistryOption
	log         io.Writer
	annotations func(image string) map[string]string
	jobs        int
	tags        []string
}

// defaultBuilderOptions returns the options of a Builder given none.
func defaultBuilderOptions() builderOptions {
	return builderOptions{
		sbomFormats: []SBOMFormat{SBOMSPDX},
		log:         io.Discard,
		jobs:        runtime.GOMAXPROCS(0),
	}
}

// WithPlatforms builds these platforms (os/arch[/variant] or "all") instead
// of each image's configured ones. No platforms keeps the configuration.
func WithPlatforms(platforms ...string) BuilderOption {
	return func(o *builderOptions) { o.platforms = platforms }
}

// WithVersion sets .Version in templates (default config.DevVersion).
func WithVersion(version string) BuilderOption {
	return func(o *builderOptions) { o.version = version }
}

// WithGitInfo sets .Git in templates and the commit time behind .Date.
func WithGitInfo(info gitinfo.Info) BuilderOption {
	return func(o *builderOptions) { o.git = info }
}

// WithEnviron sets the process environment as KEY=VALUE pairs (default
// os.Environ()): what .Env shows, where SOURCE_DATE_EPOCH is read and what
// the default compiler starts go build from.
func WithEnviron(environ []string) BuilderOption {
	return func(o *builderOptions) { o.environ = environ }
}

// WithCompiler replaces the go build runner (default NewGoCompiler).
func WithCompiler(c Compiler) BuilderOption {
	return func(o *builderOptions) { o.compiler = c }
}

// WithSBOMFormats sets the SBOM formats attached to every platform image
// (default SPDX). Passing no format turns SBOMs off.
func WithSBOMFormats(formats ...SBOMFormat) BuilderOption {
	return func(o *builderOptions) { o.sbomFormats = formats }
}

// WithInsecure fetches base images over plain HTTP from any registry, not
// only loopback ones.
func WithInsecure(insecure bool) BuilderOption {
	return func(o *builderOptions) { o.insecure = insecure }
}

// WithRegistryOptions sets how base images are fetched (keychain,
// transport, retries); see RemoteOptions.
func WithRegistryOptions(opts ...RegistryOption) BuilderOption {
	return func(o *builderOptions) { o.registry = append(o.registry, opts...) }
}

// WithLogger sends progress lines to w (default: discarded).
func WithLogger(w io.Writer) BuilderOption {
	return func(o *builderOptions) {
		if w == nil {
			w = io.Discard
		}
		o.log = w
	}
}

// WithAnnotations adds the annotations fn returns for an image to every
// manifest of that image: each platform image and the index. They are
// applied last and win over configured ones.
func WithAnnotations(fn func(image string) map[string]string) BuilderOption {
	return func(o *builderOptions) { o.annotations = fn }
}

// WithJobs bounds how many platform images are built at once (default
// GOMAXPROCS). Values below 1 mean the default.
func WithJobs(n int) BuilderOption {
	return func(o *builderOptions) {
		if n < 1 {
			n = runtime.GOMAXPROCS(0)
		}
		o.jobs = n
	}
}

// WithTags replaces the configured tags of every image with these
// templates. No tags keeps the configuration.
func WithTags(tags ...string) BuilderOption {
	return func(o *builderOptions) { o.tags = tags }
}
