// Package importcheck holds the repository's structure checks, as tests:
// data flows one way through the packages (config → graph → layering →
// planner → release/resolve → cmd, plumbing on the ground floor), and the
// README's package map names every package. It has no code of its own.
package importcheck
