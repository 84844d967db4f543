// Package imageref is gobake's one answer to "which registry, and what
// reference": the precedence of the registry settings (flag, then
// $GOBAKE_REGISTRY, then gobake.yaml), the join of a registry and a
// repository, and parsing references with the plain-HTTP rule for
// loopback and --insecure registries. It is the only place that passes
// name.Insecure.
package imageref

import (
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Choose returns the registry a command uses: the --registry flag when
// set, else $GOBAKE_REGISTRY, else the registry key of gobake.yaml, with
// any trailing slash dropped. "" means none (an OCI layout).
func Choose(flag, env, yaml string) string {
	for _, r := range []string{flag, env, yaml} {
		if r = Normalize(r); r != "" {
			return r
		}
	}
	return ""
}

// Normalize drops surrounding spaces and trailing slashes from a registry
// (host[:port][/prefix]).
func Normalize(registry string) string {
	return strings.TrimRight(strings.TrimSpace(registry), "/")
}

// Join returns the repository name of repository under registry
// (host[:port][/prefix]): "registry/repository" with exactly one slash
// between them, or repository alone when registry is "".
func Join(registry, repository string) string {
	registry = Normalize(registry)
	repository = strings.TrimLeft(repository, "/")
	if registry == "" {
		return repository
	}
	return registry + "/" + repository
}

// Parse parses an image reference (by tag or digest). Registries on the
// loopback interface (localhost, 127.0.0.1, [::1]) and every registry
// when insecure is true are reached over plain HTTP.
func Parse(s string, insecure bool) (name.Reference, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, err
	}
	if plainHTTP(ref.Context().RegistryStr(), insecure) {
		return name.ParseReference(s, name.Insecure)
	}
	return ref, nil
}

// Repository parses a repository name with the rules of Parse.
func Repository(s string, insecure bool) (name.Repository, error) {
	repo, err := name.NewRepository(s)
	if err != nil {
		return name.Repository{}, err
	}
	if plainHTTP(repo.RegistryStr(), insecure) {
		return name.NewRepository(s, name.Insecure)
	}
	return repo, nil
}

// Digest parses a repository@sha256:… reference with the rules of Parse.
func Digest(s string, insecure bool) (name.Digest, error) {
	d, err := name.NewDigest(s)
	if err != nil {
		return name.Digest{}, err
	}
	if plainHTTP(d.RegistryStr(), insecure) {
		return name.NewDigest(s, name.Insecure)
	}
	return d, nil
}

// plainHTTP reports whether a registry (host[:port]) is reached over
// plain HTTP.
func plainHTTP(registry string, insecure bool) bool {
	return insecure || IsLoopback(registry)
}

// IsLoopback reports whether a registry host[:port] is on the loopback
// interface.
func IsLoopback(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
