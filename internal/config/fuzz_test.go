package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzLoad loads arbitrary bytes as gobake.yaml: Load never panics, and
// its error is one problem per line, each naming the file, the first with
// its line.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		watchdog := time.AfterFunc(20*time.Second, func() { panic("Load took more than 20s") })
		_, err := Load(path, WithGetenv(func(string) string { return "" }))
		watchdog.Stop()
		if err == nil {
			return
		}
		first := regexp.MustCompile(`^` + regexp.QuoteMeta(path) + `:\d+:\d+: \S`)
		lines := strings.Split(err.Error(), "\n")
		if !first.MatchString(lines[0]) {
			t.Fatalf("first line of the error does not start with %s:LINE:COL: %q\ninput:\n%s", path, lines[0], src)
		}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, path+":") {
				t.Fatalf("error line does not name the file: %q\nerror:\n%v", l, err)
			}
		}
	})
}
