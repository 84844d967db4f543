// Package planner is gobake's one pipeline, above graph and layering and
// below the commands: New plans the selected images once (every image ×
// platform with its Go environment, base image and digest, input record
// and tags), Plan.Build builds those targets and attaches the inputs record
// to every result, and Publish
// stores the results. build, release and resolve all go through it, so
// every push carries its inputs. The package also reads the previous build
// back from a registry or an OCI layout (Baseline), computes the inputs at
// a git ref (Since) and says what must be rebuilt (Changes).
package planner
