package layering

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill cmd when gobake dies, however it
// dies: a gobake killed with SIGKILL leaves no go build running on,
// writing into a temporary directory the next run is about to sweep.
// (The signal is tied to the thread that starts cmd; Go's runtime keeps
// its threads for the life of the process.)
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
