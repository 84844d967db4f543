package config

import "github.com/gobake/gobake/internal/platform"

// AllPlatforms is the value of platforms that asks for every platform of the
// base image's index.
const AllPlatforms = platform.All

// Platforms returns every platform string that platforms accepts besides
// "all" (see platform.List).
func Platforms() []string { return platform.List() }
