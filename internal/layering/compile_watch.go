package layering

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/gobake/gobake/internal/config"
)

// watchInterval is how often an outputWatch looks for binaries.
const watchInterval = 50 * time.Millisecond

// outputWatch hands over the binaries one go command links into a
// directory as soon as each is there, while go still links the others: so
// that an image is layered and pushed while the next one links. go moves
// a binary into place by renaming it from its work directory (which the
// watch puts in the same file system), so a binary that is there by
// another file than the one seeded from the output cache is whole.
type outputWatch struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	done  []bool // by request, handed over
}

// watchOutputs starts watching dir for the binaries names of cmd (not
// started yet), calling hand with the index of each as it is linked.
// It returns nil, watching nothing, where go would copy binaries into
// dir instead of renaming them: on Windows, into a setgid directory, or
// with a GOTMPDIR of the user's (maybe on another file system).
func (c *GoCompiler) watchOutputs(cmd *exec.Cmd, dir string, names []string, hand func(i int)) *outputWatch {
	if runtime.GOOS == "windows" || config.EnvMap(cmd.Env)["GOTMPDIR"] != "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode()&fs.ModeSetgid != 0 {
		return nil
	}
	work := filepath.Join(dir, ".gowork")
	if err := os.Mkdir(work, 0o700); err != nil {
		return nil
	}
	cmd.Env = append(cmd.Env, "GOTMPDIR="+work)
	seeded := make([]os.FileInfo, len(names))
	for i, n := range names {
		seeded[i], _ = os.Lstat(filepath.Join(dir, n)) // nil when none
	}
	w := &outputWatch{stopc: make(chan struct{}), done: make([]bool, len(names))}
	w.wg.Go(func() {
		t := time.NewTicker(watchInterval)
		defer t.Stop()
		for {
			select {
			case <-w.stopc:
				return
			case <-t.C:
			}
			for i, n := range names {
				if w.done[i] {
					continue
				}
				fi, err := os.Lstat(filepath.Join(dir, n))
				if err != nil || !fi.Mode().IsRegular() || seeded[i] != nil && os.SameFile(seeded[i], fi) {
					continue
				}
				w.done[i] = true
				hand(i)
			}
		}
	})
	return w
}

// stop ends the watch (a nil watch is none) and returns which binaries it
// handed over, nil for none.
func (w *outputWatch) stop() []bool {
	if w == nil {
		return nil
	}
	close(w.stopc)
	w.wg.Wait()
	return w.done
}
