// Command builds is the rack's builds Lambda function; pkg/wire/buildsfn says
// what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/buildsfn"

func main() { buildsfn.Function.Start() }
