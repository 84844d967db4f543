// Package planner wires the input graph to the outside world for the CLI:
// it computes the current inputs of images with the same base lookups a
// build uses (Current), the inputs at a git ref (Since), reads the records
// of the previous build back from a registry or an OCI layout (Baseline)
// and says what must be rebuilt (Changed).
package planner
