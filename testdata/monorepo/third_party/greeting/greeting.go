// Package greeting is a nested module that example.com/mono uses through a
// local replace directive.
package greeting

// Word is the word every greeting starts with.
const Word = "Hello"

// For returns the greeting for name.
func For(name string) string { return Word + ", " + name + "!" }
