package gitrepo

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Commit is one commit of the log and the files it changed.
type Commit struct {
	Hash    string   // full hash
	Parents []string // full hashes of the parents
	Subject string   // first line of the message
	Body    string   // the message after the subject, trimmed
	Files   []string // files added, modified or deleted, relative to Repo.Dir (files outside it are left out); none for merges
}

// Message returns the whole commit message: subject, blank line, body.
func (c Commit) Message() string {
	if c.Body == "" {
		return c.Subject
	}
	return c.Subject + "\n\n" + c.Body
}

// Short returns the first 7 characters of the hash.
func (c Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

// logFormat starts each commit with a record separator, then the hash,
// parents and raw message, NUL-separated. With -z and --name-only the
// changed files follow, each ended by NUL.
const logFormat = "%x1e%H%x00%P%x00%B%x00"

// Log returns the commits reachable from until but not from since, newest
// first, with the files each changed (renames count as a deletion and an
// addition). since "" means the whole history; until "" means HEAD. Merge
// commits are listed without files: the commits they bring in carry the
// changes.
//
// A range between full hashes is read once (until the next change of the
// refs: a fetch may deepen a shallow clone): a release asks for the same
// range for every image. The commits returned are shared: read only.
func (r *Repo) Log(ctx context.Context, since, until string) ([]Commit, error) {
	if until == "" {
		until = "HEAD"
	}
	rng := until
	if since != "" {
		rng = since + ".." + until
	}
	fixed := isFullHash(until) && (since == "" || isFullHash(since))
	if fixed {
		r.cache.mu.Lock()
		cs, ok := r.cache.logs[rng]
		r.cache.mu.Unlock()
		if ok {
			return slices.Clone(cs), nil
		}
	}
	out, err := r.git(ctx, "log", "-z", "--no-renames", "--name-only", "--relative", "--no-color",
		"--format="+logFormat, rng, "--")
	if err != nil {
		return nil, fmt.Errorf("git log %s: %w", rng, err)
	}
	cs, err := parseLog(out)
	if err != nil || !fixed {
		return cs, err
	}
	r.cache.mu.Lock()
	if r.cache.logs == nil {
		r.cache.logs = map[string][]Commit{}
	}
	r.cache.logs[rng] = cs
	r.cache.mu.Unlock()
	return slices.Clone(cs), nil
}

// parseLog parses the output of git log with logFormat.
func parseLog(out string) ([]Commit, error) {
	var commits []Commit
	for _, rec := range strings.Split(out, "\x1e") {
		if rec == "" {
			continue
		}
		f := strings.SplitN(rec, "\x00", 4)
		if len(f) < 3 {
			return nil, fmt.Errorf("parse git log: malformed record %q", rec)
		}
		subject, body, _ := strings.Cut(strings.TrimSpace(f[2]), "\n")
		c := Commit{
			Hash:    f[0],
			Parents: strings.Fields(f[1]),
			Subject: strings.TrimSpace(subject),
			Body:    strings.TrimSpace(body),
		}
		if len(f) == 4 {
			for _, name := range strings.Split(f[3], "\x00") {
				if name = strings.TrimLeft(name, "\n"); name != "" {
					c.Files = append(c.Files, name)
				}
			}
		}
		commits = append(commits, c)
	}
	return commits, nil
}
