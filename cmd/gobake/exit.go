package main

import "fmt"

// Exit statuses of gobake besides 0 (success), 1 (error) and 2 (usage).
const (
	// exitChanged is `gobake plan --exit-code`'s status when an image is
	// new or changed: distinct from 1 so that CI can tell it from an error.
	exitChanged = 3
)

// exitError makes gobake exit with code. Its message is printed as an
// error only when it is not empty.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.msg
}
