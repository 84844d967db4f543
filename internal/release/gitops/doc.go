// Package gitops writes released image references into a deployment
// repository: kustomizations, Helm values and plain manifests (with Flux
// $imagepolicy markers), editing only the changed YAML scalars so that
// everything else stays byte-identical, and commits and pushes the result
// with compare-and-swap retries.
package gitops
