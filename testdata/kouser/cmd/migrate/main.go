// Command migrate runs database migrations.
package main

import (
	"fmt"

	"example.com/kouser/internal/version"
)

func main() { fmt.Println("migrate", version.Version) }
