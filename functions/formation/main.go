// Command formation is the rack's formation Lambda function; pkg/wire/formationfn says
// what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/formationfn"

func main() { formationfn.Function.Start() }
