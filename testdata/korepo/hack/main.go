// Command hack updates generated code.
package main

func main() {}
