package graph

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/gitexec"
)

// ErrNotShared says that the records of a ref cannot be computed from the
// working tree's package graph (see RefFiles and Options.Ref): its graph
// differs, may differ, or its files cannot be read without a checkout. The
// caller computes them from a checkout of the ref instead.
var ErrNotShared = errors.New("the package graph at the ref is not known to be the working tree's")

// Ref is a git ref as resolved in a repository: its commit, and where
// the repository directory is in the work tree.
type Ref struct {
	Commit string
	root   string // the repository directory the ref was resolved from
	top    string // the top of the work tree, spelled as root is
}

// ResolveRef resolves ref in the work tree holding repo.
func ResolveRef(ctx context.Context, repo, ref string) (Ref, error) {
	g := gitexec.Runner{Dir: repo}
	out, err := g.RunIn(ctx, nil, "rev-parse", "--show-prefix", "--verify", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return Ref{}, fmt.Errorf("resolving %s: %w", ref, err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || lines[1] == "" {
		return Ref{}, fmt.Errorf("resolving %s: git rev-parse printed %q", ref, out)
	}
	// The top as repo spells it (the package graph's paths do), not as
	// git resolves it (symbolic links resolved).
	top := filepath.Clean(repo)
	for _, elem := range strings.Split(strings.TrimSuffix(lines[0], "/"), "/") {
		if elem == "" {
			continue
		}
		if filepath.Base(top) != elem {
			return Ref{}, fmt.Errorf("resolving %s: %s is not in its work tree as %s", ref, repo, lines[0])
		}
		top = filepath.Dir(top)
	}
	return Ref{Commit: lines[1], root: repo, top: top}, nil
}

// RefFiles is the files of a commit seen from the work tree beside it:
// the files git diff-index names (those that differ between the commit
// and the work tree) read from git objects as a checkout writes them
// (filters, ends of lines), the others from the work tree, and directory
// entries from the commit's list of files (what a checkout creates, so
// neither untracked nor ignored files). Nothing is checked out.
type RefFiles struct {
	ref     Ref
	paths   []string          // the commit's files, sorted, relative to the top
	special map[string]string // mode of each file that is not a regular one (links, submodules)
	changed map[string][]byte // content at the commit of the files that differ
	sums    sync.Map          // path relative to the top → hex SHA-256 of a changed file
}

// ReadRefFiles reads what RefFiles needs of r: the differences between
// its commit and the work tree, the list of files, and the content at the
// commit of the files that differ. It fails with ErrNotShared when those
// cannot tell the commit's files (unmerged paths, files git is told not
// to look at, a changed .gitattributes).
func ReadRefFiles(ctx context.Context, r Ref) (*RefFiles, error) {
	g := gitexec.Runner{Dir: r.top}
	var diff, list string
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() (err error) {
		diff, err = g.RunIn(ectx, nil, "diff-index", "-z", "--no-renames", "--ignore-submodules=none", r.Commit, "--")
		return err
	})
	eg.Go(func() (err error) {
		list, err = g.RunIn(ectx, nil, "ls-files", "-z", "-s", "-v")
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, fmt.Errorf("files of %s: %w", r.Commit, err)
	}
	f := &RefFiles{ref: r, special: map[string]string{}, changed: map[string][]byte{}}
	notShared := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrNotShared, fmt.Sprintf(format, args...))
	}
	// ":oldmode newmode oldsha newsha status\0path\0", old being the
	// commit's side.
	removed := map[string]bool{} // in the index, not in the commit
	var added []string           // in the commit, not in the index or the work tree
	blobs := map[string]string{} // path → blob at the commit, to read
	fields := strings.Split(diff, "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		meta, p := strings.Fields(strings.TrimPrefix(fields[i], ":")), fields[i+1]
		if len(meta) != 5 {
			return nil, notShared("git diff-index printed %q", fields[i])
		}
		mode, blob, status := meta[0], meta[2], meta[4]
		if path.Base(p) == ".gitattributes" {
			return nil, notShared("%s differs", p)
		}
		switch status {
		case "A":
			removed[p] = true
			continue
		case "D":
			added = append(added, p)
		case "M", "T":
		default:
			return nil, notShared("%s: status %s", p, status)
		}
		if mode != "100644" && mode != "100755" {
			f.special[p] = mode
			continue
		}
		blobs[p] = blob
	}
	// "TAG mode sha stage\tpath\0": H is a tracked file git looks at; a
	// lower-case tag (assume unchanged) or S (skip-worktree) is one it does
	// not, whose content in the work tree says nothing.
	for _, e := range strings.Split(strings.TrimSuffix(list, "\x00"), "\x00") {
		if e == "" {
			continue
		}
		meta, p, ok := strings.Cut(e, "\t")
		fs := strings.Fields(meta)
		if !ok || len(fs) != 4 || fs[0] != "H" || fs[3] != "0" {
			return nil, notShared("git ls-files: %q", e)
		}
		if removed[p] {
			continue
		}
		if fs[1] != "100644" && fs[1] != "100755" {
			if _, changed := blobs[p]; !changed && f.special[p] == "" {
				f.special[p] = fs[1]
			}
		}
		f.paths = append(f.paths, p)
	}
	f.paths = append(f.paths, added...)
	sort.Strings(f.paths)
	f.paths = slices.Compact(f.paths)
	if err := f.readBlobs(ctx, g, blobs); err != nil {
		return nil, err
	}
	return f, nil
}

// readBlobs reads the given blobs, which a checkout at their paths would
// write as they are: it fails with ErrNotShared when it might convert them
// (a filter, ends of lines made CRLF, ident, an encoding). (git cat-file
// --filters converts, but prints the size before conversion: a batch of
// them cannot be read.)
func (f *RefFiles) readBlobs(ctx context.Context, g gitexec.Runner, blobs map[string]string) error {
	if len(blobs) == 0 {
		return nil
	}
	order := sortedKeys(blobs)
	var objects, paths bytes.Buffer
	for _, p := range order {
		fmt.Fprintf(&objects, "%s\n", blobs[p])
		fmt.Fprintf(&paths, "%s\x00", p)
	}
	var out, attrs, conf string
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() (err error) {
		out, err = g.RunIn(ectx, &objects, "cat-file", "--batch")
		return err
	})
	eg.Go(func() (err error) {
		attrs, err = g.RunIn(ectx, &paths, "check-attr", "-z", "--stdin", "text", "eol", "filter", "ident", "working-tree-encoding")
		return err
	})
	eg.Go(func() error {
		var err error
		conf, err = g.RunIn(ectx, nil, "config", "-z", "--get-regexp", `^core\.(autocrlf|eol)$`)
		if gitexec.ExitCode(err) == 1 { // none set
			return nil
		}
		return err
	})
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("files of %s: %w", f.ref.Commit, err)
	}
	if err := checkoutAsIs(conf, attrs); err != nil {
		return err
	}
	rd := bufio.NewReader(strings.NewReader(out))
	for _, p := range order {
		head, err := rd.ReadString('\n')
		if err != nil {
			return fmt.Errorf("files of %s: reading %s: %w", f.ref.Commit, p, err)
		}
		hf := strings.Fields(head)
		if len(hf) != 3 || hf[0] != blobs[p] || hf[1] != "blob" {
			return fmt.Errorf("%w: git cat-file printed %q for %s", ErrNotShared, head, p)
		}
		n, err := strconv.Atoi(hf[2])
		if err != nil {
			return fmt.Errorf("files of %s: reading %s: %w", f.ref.Commit, p, err)
		}
		b := make([]byte, n+1) // and the new line after it
		if _, err := io.ReadFull(rd, b); err != nil {
			return fmt.Errorf("files of %s: reading %s: %w", f.ref.Commit, p, err)
		}
		f.changed[p] = b[:n]
	}
	return nil
}

// checkoutAsIs fails with ErrNotShared unless a checkout writes the files
// as git keeps them, given the core.autocrlf and core.eol settings (git
// config -z --get-regexp) and the files' attributes (git check-attr -z):
// no CRLF ends of lines, no filter, no ident, no encoding.
func checkoutAsIs(conf, attrs string) error {
	for _, kv := range strings.Split(conf, "\x00") {
		k, v, _ := strings.Cut(kv, "\n")
		v = strings.ToLower(v)
		if k == "core.autocrlf" && v != "false" && v != "input" && v != "no" && v != "off" && v != "0" || k == "core.eol" && v == "crlf" {
			return fmt.Errorf("%w: %s is %s", ErrNotShared, k, v)
		}
	}
	fields := strings.Split(attrs, "\x00")
	for i := 0; i+2 < len(fields); i += 3 {
		p, attr, v := fields[i], fields[i+1], fields[i+2]
		if v == "unspecified" || v == "unset" || attr == "text" || attr == "eol" && v == "lf" {
			continue
		}
		return fmt.Errorf("%w: %s has %s %s", ErrNotShared, p, attr, v)
	}
	return nil
}

// Unchanged reports whether the file at path (absolute) is a regular file
// of the commit with the same content as in the work tree.
func (f *RefFiles) Unchanged(p string) bool {
	r, ok := f.rel(p)
	if !ok {
		return false
	}
	_, changed := f.changed[r]
	return f.has(r) && !changed && f.special[r] == ""
}

// rel returns path relative to the top of the work tree, with slashes;
// false when it is outside it.
func (f *RefFiles) rel(p string) (string, bool) {
	if !under(p, f.ref.top) {
		return "", false
	}
	if p == f.ref.top {
		return "", true
	}
	return rel(f.ref.top, p), true
}

// has reports whether r (relative to the top) is a file of the commit.
func (f *RefFiles) has(r string) bool {
	_, ok := slices.BinarySearch(f.paths, r)
	return ok
}

// regular returns path relative to the top when it is a regular file of
// the commit; errors wrap fs.ErrNotExist (no such file) or ErrNotShared
// (outside the work tree, not a regular file).
func (f *RefFiles) regular(p string) (string, error) {
	r, ok := f.rel(p)
	if !ok {
		return "", fmt.Errorf("%w: %s is outside the work tree", ErrNotShared, p)
	}
	if m := f.special[r]; m != "" {
		return "", fmt.Errorf("%w: %s has mode %s", ErrNotShared, p, m)
	}
	if !f.has(r) {
		return "", fmt.Errorf("%s at %s: %w", p, f.ref.Commit, fs.ErrNotExist)
	}
	return r, nil
}

// hash returns the hex SHA-256 of the file at path as the commit has it;
// the work tree's files are hashed with c.
func (f *RefFiles) hash(c *RunHashes, p string) (string, error) {
	r, err := f.regular(p)
	if err != nil {
		return "", err
	}
	b, changed := f.changed[r]
	if !changed {
		return c.Hash(p)
	}
	if s, ok := f.sums.Load(r); ok {
		return s.(string), nil
	}
	s := contentHash(b)
	f.sums.Store(r, s)
	return s, nil
}

// hashOrAbsent is hash, "" for a file the commit does not have.
func (f *RefFiles) hashOrAbsent(c *RunHashes, p string) (string, error) {
	h, err := f.hash(c, p)
	if err != nil && !errors.Is(err, ErrNotShared) && errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return h, err
}

// read returns the content of the file at path as the commit has it.
func (f *RefFiles) read(p string) ([]byte, error) {
	r, err := f.regular(p)
	if err != nil {
		return nil, err
	}
	if b, ok := f.changed[r]; ok {
		return b, nil
	}
	return os.ReadFile(p)
}

// names returns the entries of the directory dir (absolute) at the
// commit, as dirNames does: sorted, directories (and submodules) with a
// trailing slash, all of them or only those go list looks at. A
// directory the commit has no file in does not exist there.
func (f *RefFiles) names(dir string, all bool) ([]string, error) {
	r, ok := f.rel(dir)
	if !ok {
		return nil, fmt.Errorf("%w: %s is outside the work tree", ErrNotShared, dir)
	}
	prefix := ""
	if r != "" && r != "." {
		prefix = r + "/"
	}
	if prefix != "" && !f.hasUnder(prefix) {
		return nil, fmt.Errorf("%s at %s: %w", dir, f.ref.Commit, fs.ErrNotExist)
	}
	i, _ := slices.BinarySearch(f.paths, prefix)
	var names []string
	for i < len(f.paths) && strings.HasPrefix(f.paths[i], prefix) {
		p := f.paths[i]
		rest := p[len(prefix):]
		n := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			n = rest[:j+1]
			// Past the directory's files: they sort before its name
			// followed by '0', the byte after '/'.
			i, _ = slices.BinarySearch(f.paths, prefix+rest[:j]+"0")
		} else {
			i++
			if f.special[p] == "160000" {
				n += "/" // a submodule is checked out as a directory
			}
		}
		if all || listedName(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return slices.Compact(names), nil
}

// hasUnder reports whether the commit has a file below prefix (a
// directory relative to the top, ending in a slash).
func (f *RefFiles) hasUnder(prefix string) bool {
	i, _ := slices.BinarySearch(f.paths, prefix)
	return i < len(f.paths) && strings.HasPrefix(f.paths[i], prefix)
}

// dataFiles returns what the data directory dir (absolute) holds at the
// commit: its regular files (absolute) and its directories (relative to
// dir, with slashes, dir itself left out). A link or submodule in it, or
// no file at all, is ErrNotShared: the checkout answers those.
func (f *RefFiles) dataFiles(dir string) (files, dirs []string, err error) {
	r, ok := f.rel(dir)
	if !ok || r == "" || r == "." {
		return nil, nil, fmt.Errorf("%w: data directory %s", ErrNotShared, dir)
	}
	prefix := r + "/"
	seen := map[string]bool{}
	i, _ := slices.BinarySearch(f.paths, prefix)
	for ; i < len(f.paths) && strings.HasPrefix(f.paths[i], prefix); i++ {
		p := f.paths[i]
		if m := f.special[p]; m != "" {
			return nil, nil, fmt.Errorf("%w: %s has mode %s", ErrNotShared, p, m)
		}
		files = append(files, filepath.Join(f.ref.top, filepath.FromSlash(p)))
		for d := path.Dir(p[len(prefix):]); d != "."; d = path.Dir(d) {
			if seen[d] {
				break
			}
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: no file in data directory %s at %s", ErrNotShared, dir, f.ref.Commit)
	}
	return files, dirs, nil
}

// dataDirsAgree fails with ErrNotShared when the commit has a kodata
// directory the work tree does not: the configuration (whose default data
// directory is a main's kodata, when it exists) was read from the work
// tree.
func (f *RefFiles) dataDirsAgree() error {
	seen := map[string]bool{}
	for _, p := range f.paths {
		i := strings.Index("/"+p, "/kodata/")
		if i < 0 {
			continue
		}
		d := p[:i+len("kodata")]
		if seen[d] {
			continue
		}
		seen[d] = true
		if fi, err := os.Stat(filepath.Join(f.ref.top, filepath.FromSlash(d))); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: %s is a directory at %s only", ErrNotShared, d, f.ref.Commit)
		}
	}
	return nil
}

// findAt returns the stored graph of b and mains when it is the graph of
// the commit's files (every fingerprint holds for them) and of the Go
// environment as it is; otherwise an error wrapping ErrNotShared. Nothing
// is written back: the stored graph stays the work tree's.
func (s *graphStore) findAt(ctx context.Context, b buildConfig, mains []string, f *RefFiles) (*loaded, error) {
	sg, env, err := s.stored(ctx, b, mains, func(sg *storedGraph) error { return s.validateAt(ctx, sg, f) })
	if err != nil {
		return nil, err
	}
	// go env ran in the work tree: a go.work go would find at the commit
	// (in b.Dir or above it) must be the one it found.
	for d := filepath.Clean(b.Dir); under(d, f.ref.top); d = filepath.Dir(d) {
		if w := filepath.Join(d, "go.work"); w != env.Work {
			if r, ok := f.rel(w); ok && f.has(r) {
				return nil, fmt.Errorf("%w: %s at %s only", ErrNotShared, w, f.ref.Commit)
			}
		} else {
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return sg.loaded(b, env), nil
}

// validateAt checks every fingerprint of sg against the commit's files,
// as validate does against the work tree's.
func (s *graphStore) validateAt(ctx context.Context, sg *storedGraph, f *RefFiles) error {
	errs := &firstErr{ctx: ctx}
	fail := errs.set
	runJobs(len(sg.Files)+len(sg.Dirs), errs.stop, func(i int) {
		if i < len(sg.Files) {
			fl := &sg.Files[i]
			h, err := f.hashOrAbsent(s.cache, fl.Path)
			if err != nil {
				fail(fmt.Errorf("%w: %v", ErrNotShared, err))
			} else if h != fl.Hash {
				fail(fmt.Errorf("%w: %s differs", ErrNotShared, fl.Path))
			}
			return
		}
		d := &sg.Dirs[i-len(sg.Files)]
		names, err := f.names(d.Path, d.All)
		if err != nil {
			fail(fmt.Errorf("%w: %v", ErrNotShared, err))
			return
		}
		if !equalStrings(names, d.Names) {
			fail(fmt.Errorf("%w: the entries of %s differ", ErrNotShared, d.Path))
			return
		}
		for _, src := range d.Sources {
			path := sourcePath(d.Path, src.Name)
			h, err := f.hash(s.cache, path)
			if err != nil {
				fail(fmt.Errorf("%w: %v", ErrNotShared, err))
				return
			}
			if h == src.Hash {
				continue
			}
			b, err := f.read(path)
			if err != nil {
				fail(fmt.Errorf("%w: %v", ErrNotShared, err))
				return
			}
			if sourceHeader(path, b) != src.Header {
				fail(fmt.Errorf("%w: what go list reads of %s differs", ErrNotShared, path))
				return
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	return errs.first()
}
