// Command conformance runs the conformance suite.
package main

func main() {}
