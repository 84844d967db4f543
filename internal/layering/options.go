package layering

import (
	"io"
	"runtime"
)

// BuilderOption configures a Builder.
type BuilderOption func(*builderOptions)

// builderOptions is what BuilderOptions set.
type builderOptions struct {
	environ     []string
	compiler    Compiler
	sbomFormats []SBOMFormat
	log         io.Writer
	observer    Observer
	jobs        int
	// binCacheErr is a bad $GOBAKE_BIN_CACHE_MB, reported by Build.
	binCacheErr error
	layerCache  *layerCache
	noLayers    bool // WithLayerCache("", …): no layer cache
	// layerCacheErr is a bad $GOBAKE_LAYER_CACHE_MB, reported by Build.
	layerCacheErr error
}

// defaultBuilderOptions returns the options of a Builder given none.
func defaultBuilderOptions() builderOptions {
	return builderOptions{
		sbomFormats: []SBOMFormat{SBOMSPDX},
		log:         io.Discard,
		observer:    nopObserver{},
		jobs:        runtime.GOMAXPROCS(0),
	}
}

// WithEnviron sets the process environment as KEY=VALUE pairs (default
// os.Environ()): where SOURCE_DATE_EPOCH, the creation time of every
// image, is read and what the default compiler starts go build from.
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

// WithLogger sends progress lines to w (default: discarded).
func WithLogger(w io.Writer) BuilderOption {
	return func(o *builderOptions) {
		if w == nil {
			w = io.Discard
		}
		o.log = w
	}
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

// WithLayerCache keeps compressed layers in dir, at most maxBytes of them
// (DefaultLayerCacheSize when maxBytes < 1), least recently used evicted
// first, so that the layer of an unchanged binary is reused rather than
// compressed again. The default is the directory layers under gobake's
// cache ($GOBAKE_CACHE, else gobake under the user cache directory; none
// when GOBAKE_CACHE=off), bounded by $GOBAKE_LAYER_CACHE_MB when set. An
// empty dir turns the cache off.
func WithLayerCache(dir string, maxBytes int64) BuilderOption {
	return func(o *builderOptions) {
		o.layerCache, o.noLayers = newLayerCache(dir, maxBytes), dir == ""
	}
}
