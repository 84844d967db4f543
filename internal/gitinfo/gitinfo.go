// Package gitinfo reads the facts about a git work tree that gobake's
// templates expose as .Git: commit, branch, tag, tree state and commit time.
package gitinfo

// Info describes the commit a build is made from. Every field is empty when
// the directory is not inside a git work tree.
type Info struct {
	Commit          string // full commit hash of HEAD
	ShortCommit     string // abbreviated commit hash (git rev-parse --short)
	Branch          string // current branch, "" on a detached HEAD
	Tag             string // tag pointing exactly at HEAD, "" when none
	TreeState       string // "clean" or "dirty"
	CommitTimestamp string // committer time of HEAD, Unix seconds
}
