// Package release runs `gobake release`: it decides the next version of
// every changed image (package version), builds each image with its
// version, pushes every image by digest with its SBOM and inputs
// referrers, claims the versions, then moves the image tags and writes the
// digests to the GitOps repository (package gitops): the GitOps commit is
// made while the tags are put and pushed once every tag is in place.
//
// # Claims
//
// A version is published once: a version tag in the registry or a git tag
// IMAGE/vX.Y.Z, once visible, never names anything else. Releases run at
// once (two merges, two CI jobs, or two runs in one clone) with no lock
// server, so the source remote serves as the lock: after building and
// pushing by digest, which nobody sees, a release pushes its annotated git
// tags with one `git push --atomic`. Git refuses to update an existing tag
// without force, and --atomic makes the push all or nothing, so of two
// releases claiming a version exactly one wins, on a remote every CI
// already writes to. The loser has changed nothing visible: it fetches the
// tags, decides again (its versions bump past the winner's, or its commit
// turns out to be released by a later one) and retries a few times. Only
// a claim's winner moves version tags; floating tags and the GitOps
// repository follow only the newest claimed version of an image, re-read
// just before they are written.
//
// A claim's message names the digest released, so the claim is also the
// record of a release in progress: a re-run at a commit with claims
// completes them (version tags put when absent, floating tags and GitOps
// when still the newest) without building. Any release also completes
// the claims of other commits whose version tag is missing from the
// registry (one tag listing per image finds them), so that a release
// that stopped is finished by the next one even when that one comes
// from a later commit; the later commit versions past them. The registry is never trusted to say what was released: a
// version tag naming another digest than the claim's is an error.
//
// An image whose build is the very image of its last release (its inputs
// changed, its binary, data and config did not: the same ldflags split
// otherwise, a module bump it does not link) is skipped after the build, before anything is
// pushed or claimed: no version, no tags, no GitOps change. Its last
// release's digest is the one its claim names (the version tag's in the
// registry for a release without a claim).
//
// Versions come from the source remote, not from the checkout: its tags
// are fetched and a shallow clone's history completed before deciding.
//
// # Killed releases
//
// A release killed outright (SIGKILL, a cancelled CI job) is completed by
// the next run like one that failed: the claim and the registry say what
// was done. What git leaves behind when killed mid-write would stop that
// next run, so gobake writes the clone's local refs only while holding an
// flock on .git/gobake.lock (package gitrepo), which the kernel drops when
// its holder dies; the holder removes the ref lock files of gobake's own
// tags it finds (a live writer of them would hold the flock), and
// shallow.lock when the lock file says a history fetch was cut short.
// gobake never takes index.lock: git status runs without optional locks.
package release
