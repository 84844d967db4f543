package gitexec

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// refNames are names on both sides of git's rules.
var refNames = []string{
	"main", "a/b", "feature/x-1", "release/v1.2.3", "api/v0.1.0+build.1", "a.b", "a@b", "-x", "HEAD", "@",
	"", "a.lock/b", "a/b.lock", "a.lock", ".a", "a/.b", "a/", "/a", "a//b", "a..b", "a.", "a/b.", "a@{b",
	"a b", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", `a\b`, "a\tb", "a\x7fb", "lock", "a.locked/b", "été",
	"x/@", "@/x", "a/-b", ".", "..", "a/./b",
}

// TestRefNamesAgreeWithGit checks each name against git check-ref-format
// itself, for branches and tags.
func TestRefNamesAgreeWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by this test (apt-get install git)")
	}
	ctx := context.Background()
	r := Runner{Dir: t.TempDir()}
	for _, n := range refNames {
		_, gitBranch := r.Run(ctx, "check-ref-format", "--branch", n)
		if got := CheckBranch(n); (got == nil) != (gitBranch == nil) {
			t.Errorf("CheckBranch(%q) = %v, git check-ref-format --branch: %v", n, got, gitBranch)
		}
		_, gitTag := r.Run(ctx, "check-ref-format", "refs/tags/"+n)
		if got := CheckTag(n); (got == nil) != (gitTag == nil) {
			t.Errorf("CheckTag(%q) = %v, git check-ref-format refs/tags/: %v", n, got, gitTag)
		}
	}
	if err := CheckBranch("a.lock/b"); err == nil || !strings.Contains(err.Error(), ".lock") {
		t.Errorf("CheckBranch(a.lock/b) = %v, want an error naming .lock", err)
	}
}

// TestErrorsRedactAndPromptsOff runs a failing clone of a URL holding a
// password: the error names the URL without it, and git asks nobody.
func TestErrorsRedactAndPromptsOff(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by this test (apt-get install git)")
	}
	ctx := context.Background()
	// Port 9 on loopback: nothing listens, the connection is refused.
	_, err := Runner{Dir: t.TempDir()}.Run(ctx, "ls-remote", "http://user:s3cr3t-TOKEN@127.0.0.1:9/deploy.git")
	if err == nil {
		t.Fatal("ls-remote of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cr3t-TOKEN") || !strings.Contains(err.Error(), "http://***@127.0.0.1:9") {
		t.Errorf("error not redacted: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	env := strings.Join(Runner{}.Command(ctx, "version").Env, "\n")
	for _, want := range []string{"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "LC_ALL=C", "GIT_SSH_COMMAND=ssh -o BatchMode=yes"} {
		if !strings.Contains(env, "\n"+want+"\n") && !strings.HasSuffix(env, "\n"+want) {
			t.Errorf("environment lacks %s", want)
		}
	}
}
