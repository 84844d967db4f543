package gitinfo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// run runs a git command in dir with a fixed identity and dates.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_AUTHOR_DATE=@1700000000 +0000", "GIT_COMMITTER_DATE=@1700000000 +0000",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestRead(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by this test (apt-get install git)")
	}
	ctx := context.Background()

	// One repository, moved through several states.
	repo := t.TempDir()
	run(t, repo, "init", "--quiet", "--initial-branch=main")
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(repo, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		setup func()
		dir   func() string
		want  Info
	}{
		{
			name: "outside a work tree",
			dir:  func() string { return t.TempDir() },
			want: Info{},
		},
		{
			name: "no commit yet",
			dir:  func() string { return repo },
			want: Info{},
		},
		{
			name: "clean branch",
			setup: func() {
				write("a.txt", "a")
				run(t, repo, "add", ".")
				run(t, repo, "commit", "--quiet", "-m", "one")
			},
			dir:  func() string { return repo },
			want: Info{Branch: "main", TreeState: "clean", CommitTimestamp: "1700000000"},
		},
		{
			name:  "dirty subdirectory",
			setup: func() { os.Mkdir(filepath.Join(repo, "sub"), 0o755); write("a.txt", "b") },
			dir:   func() string { return filepath.Join(repo, "sub") },
			want:  Info{Branch: "main", TreeState: "dirty", CommitTimestamp: "1700000000"},
		},
		{
			name: "tagged detached head",
			setup: func() {
				run(t, repo, "checkout", "--quiet", "--", "a.txt")
				run(t, repo, "tag", "-a", "-m", "v1", "v1.2.3")
				run(t, repo, "checkout", "--quiet", "--detach")
			},
			dir:  func() string { return repo },
			want: Info{Tag: "v1.2.3", TreeState: "clean", CommitTimestamp: "1700000000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			got, err := Read(ctx, tt.dir())
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if tt.want != (Info{}) {
				head := run(t, repo, "rev-parse", "HEAD")
				tt.want.Commit = head[:len(head)-1]
				if len(got.ShortCommit) < 7 || got.ShortCommit != tt.want.Commit[:len(got.ShortCommit)] {
					t.Errorf("ShortCommit = %q, not a prefix of %q", got.ShortCommit, tt.want.Commit)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Info{}, "ShortCommit")); diff != "" {
				t.Errorf("Read mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadTakesNoIndexLock: reading the tree state never writes the
// index. git status refreshes a stale index opportunistically under
// index.lock; a gobake killed meanwhile left index.lock behind, and the
// user's next git commit in the clone failed. Read runs status without
// optional locks, so gobake never holds index.lock.
func TestReadTakesNoIndexLock(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by this test (apt-get install git)")
	}
	repo := t.TempDir()
	run(t, repo, "init", "--quiet", "--initial-branch=main")
	p := filepath.Join(repo, "a")
	if err := os.WriteFile(p, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, "add", "a")
	run(t, repo, "commit", "--quiet", "-m", "a")
	// The file's stat data no longer matches the index: status would
	// refresh it and write the index.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(repo, ".git", "index")
	before, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Read(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	if info.TreeState != "clean" {
		t.Errorf("TreeState = %q, want clean", info.TreeState)
	}
	after, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("Read rewrote the index: it took index.lock, which a kill leaves behind")
	}
}

func TestParseStatus(t *testing.T) {
	const oid = "# branch.oid 0123456789abcdef0123456789abcdef01234567\n"
	const commit = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		out  string
		want Info
	}{
		{"no commit yet", "# branch.oid (initial)\n# branch.head main", Info{Branch: "main", TreeState: "clean"}},
		{"clean branch", oid + "# branch.head feature/x", Info{Commit: commit, Branch: "feature/x", TreeState: "clean"}},
		{"detached", oid + "# branch.head (detached)", Info{Commit: commit, TreeState: "clean"}},
		{"upstream headers", oid + "# branch.head main\n# branch.upstream origin/main", Info{Commit: commit, Branch: "main", TreeState: "clean"}},
		{"changed file", oid + "# branch.head main\n1 .M N... 100644 100644 100644 aaa bbb a.txt", Info{Commit: commit, Branch: "main", TreeState: "dirty"}},
		{"untracked file", oid + "# branch.head main\n? new.txt", Info{Commit: commit, Branch: "main", TreeState: "dirty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseStatus(tt.out)); diff != "" {
				t.Errorf("parseStatus mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
