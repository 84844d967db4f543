// Command migrate is a main package of a required module (like
// knative.dev/pkg/apiextensions/storageversion/cmd/migrate), not vendored:
// ko builds it from ko://example.com/kodep/storageversion/cmd/migrate.
package main

import "fmt"

func main() { fmt.Println("migrate of example.com/kodep") }
