// Command worker processes jobs.
package main

import "fmt"

var commit = "unknown"

func main() { fmt.Println("worker", commit) }
