// Package release runs `gobake release`: it decides the next version of
// every changed image (package version), builds each image with its
// version, pushes every image by digest with its SBOM and inputs
// referrers, and only once every image of the release is in the registry
// moves the image tags, writes the digests to the GitOps repository
// (package gitops) and finally creates and pushes the git tags.
//
// A release is all or nothing: when any step fails, Run returns every
// failure and neither commits to the GitOps repository nor creates a git
// tag. Versions come from git tags, which are created last, so running the
// same release again computes the same versions; reproducible builds give
// the same digests, the registry skips the blobs it already holds, and an
// image whose version tag already names a build of the same inputs is
// neither rebuilt nor pushed again.
package release
