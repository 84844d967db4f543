package kocompat

import (
	"crypto/md5" //nolint:gosec // ko's naming uses md5 as a name hash, not for security.
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/gobake/gobake/internal/config"
)

// Naming is a rule that names an image's repository under the registry.
type Naming string

// The naming rules: gobake's own and the four of ko (see ko's
// pkg/commands/options/publish.go).
const (
	// NamingGobake keeps the repository set in gobake.yaml (the default).
	NamingGobake Naming = "gobake"
	// NamingKo is ko's default: <base of import path>-<md5 hex of import path>.
	NamingKo Naming = "ko"
	// NamingBare is ko --bare: every image is pushed to the registry itself.
	NamingBare Naming = "bare"
	// NamingBaseImportPaths is ko --base-import-paths (-B): the last element of the import path.
	NamingBaseImportPaths Naming = "base-import-paths"
	// NamingPreserveImportPaths is ko --preserve-import-paths (-P): the whole import path.
	NamingPreserveImportPaths Naming = "preserve-import-paths"
)

// Namings returns every naming rule, for help texts and flag enums.
func Namings() []Naming {
	return []Naming{NamingGobake, NamingKo, NamingBare, NamingBaseImportPaths, NamingPreserveImportPaths}
}

// ParseNaming returns the naming rule called s; "" means NamingGobake.
func ParseNaming(s string) (Naming, error) {
	if s == "" {
		return NamingGobake, nil
	}
	for _, n := range Namings() {
		if string(n) == s {
			return n, nil
		}
	}
	return "", fmt.Errorf("unknown naming %q (want one of %s)", s, joinNamings())
}

func joinNamings() string {
	all := Namings()
	s := make([]string, len(all))
	for i, n := range all {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// RepositoryName returns the repository, relative to the registry, that
// naming n gives an image whose main package has the given import path.
// configured is the repository gobake.yaml sets, used by NamingGobake.
// NamingBare returns "": the image goes to the registry itself.
//
// Like ko, the ko rules work on the lower-cased import path (registries
// reject upper case), and a leading ko:// is ignored.
func RepositoryName(n Naming, importPath, configured string) (string, error) {
	ip := strings.ToLower(strings.TrimPrefix(importPath, "ko://"))
	if n != NamingGobake && ip == "" {
		return "", fmt.Errorf("naming %s needs the import path of the main package", n)
	}
	switch n {
	case NamingGobake, "":
		return configured, nil
	case NamingKo:
		sum := md5.Sum([]byte(ip)) //nolint:gosec // see import
		return path.Base(ip) + "-" + hex.EncodeToString(sum[:]), nil
	case NamingBare:
		return "", nil
	case NamingBaseImportPaths:
		return path.Base(ip), nil
	case NamingPreserveImportPaths:
		return ip, nil
	}
	return "", fmt.Errorf("unknown naming %q", n)
}

// ApplyNaming rewrites the Repository of every image of cfg with naming n,
// using importPaths (image name → import path of its main package, as
// ImportPaths returns). NamingGobake leaves cfg alone. NamingBare, which has
// no repository of its own, splits the registry instead: with registry
// "r.example/team/app" every image is pushed to "r.example/team" as "app",
// which is where ko --bare pushes with KO_DOCKER_REPO=r.example/team/app.
func ApplyNaming(cfg *config.Config, n Naming, importPaths map[string]string) error {
	if n == NamingGobake || n == "" {
		return nil
	}
	if n == NamingBare {
		reg := strings.TrimSuffix(cfg.Registry, "/")
		i := strings.LastIndex(reg, "/")
		if i < 0 {
			return fmt.Errorf("naming bare: registry %q names no repository (want e.g. %s/app)", cfg.Registry, reg)
		}
		cfg.Registry = reg[:i]
		for k := range cfg.Images {
			cfg.Images[k].Repository = reg[i+1:]
		}
		return nil
	}
	for k := range cfg.Images {
		img := &cfg.Images[k]
		ip, ok := importPaths[img.Name]
		if !ok {
			return fmt.Errorf("naming %s: no import path known for image %s", n, img.Name)
		}
		repo, err := RepositoryName(n, ip, img.Repository)
		if err != nil {
			return fmt.Errorf("naming image %s: %w", img.Name, err)
		}
		img.Repository = repo
	}
	return nil
}
