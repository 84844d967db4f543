package graph

import (
	"sort"
	"strings"

	"github.com/gobake/gobake/internal/config"
)

// buildConfig is everything that makes go list see a different package
// graph. Images whose buildConfig is equal share one go list run.
type buildConfig struct {
	Dir   string   // module or workspace directory go runs in
	Env   []string // GOOS, GOARCH, variant, CGO_ENABLED and the image's literal env, sorted
	Flags []string // the build flags that change package selection (-tags, -mod)
}

// key is a string that is equal for equal configurations.
func (b buildConfig) key() string {
	return b.Dir + "\x00" + strings.Join(b.Env, "\x01") + "\x00" + strings.Join(b.Flags, "\x01")
}

// buildConfigOf returns the build configuration of img for the platform
// whose Go environment (platform.GoEnv) is goEnv.
// Env entries and flags that are templates are left out: they cannot be
// rendered without a version and commit, and templates are inputs as
// written anyway.
func buildConfigOf(img config.Image, goEnv []string) buildConfig {
	env := map[string]string{"CGO_ENABLED": "0"}
	for _, kv := range img.Env {
		if strings.Contains(kv, "{{") {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			env[k] = v
		}
	}
	for _, kv := range goEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	b := buildConfig{Dir: img.Dir, Flags: selectionFlags(img.Flags)}
	for k, v := range env {
		b.Env = append(b.Env, k+"="+v)
	}
	sort.Strings(b.Env)
	return b
}

// selectionFlags keeps the go build flags that change which files and
// packages are compiled: -tags and -mod, in either -f=v or -f v form.
func selectionFlags(flags []string) []string {
	var out []string
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		if strings.Contains(f, "{{") {
			continue
		}
		name := strings.TrimLeft(f, "-")
		name, val, hasVal := strings.Cut(name, "=")
		if name != "tags" && name != "mod" {
			continue
		}
		if !hasVal {
			if i+1 >= len(flags) {
				continue
			}
			i++
			val = flags[i]
		}
		out = append(out, "-"+name+"="+val)
	}
	return out
}
