// Package version decides the next version of each image of a release.
//
// Every image is versioned on its own, with git tags made from a template
// (release.tagTemplate, default "{{.Image}}/v{{.Version}}": api/v1.4.2).
// The last release of an image is the highest final version among its tags
// reachable from the commit being released.
//
// The next version comes from the conventional commits since that tag
// whose changed files are inputs of the image (its import closure, data
// directory, go.mod files…; the caller says which files are, see
// Input.Relevant):
//
//   - a breaking change ("type!:" or a "BREAKING CHANGE:" footer) bumps
//     the major version, but the minor version before 1.0.0 (0.x);
//   - "feat" bumps the minor version;
//   - anything else, conventional or not, bumps the patch version;
//   - an image whose inputs changed without such a commit (a dependency,
//     base image or toolchain bump, see Input.Changed) gets a patch.
//
// A feat in another service does not bump an image that does not use the
// files it changed. The first release of an image is
// release.initialVersion (default 0.1.0). A pre-release (--pre rc) is
// X.Y.Z-rc.N, N being one more than the highest rc.N already tagged for
// X.Y.Z; --version image=V sets the version outright.
//
// gobake's own release commits, which carry the trailer ReleaseTrailer,
// never count as changes.
//
// Container image tags cannot hold "+": OCITag maps semver build metadata
// to "_" (1.2.3+build.5 → 1.2.3_build.5); git tags keep the "+".
package version
