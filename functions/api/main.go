// Command api is the rack's api Lambda function; pkg/wire/apifn says
// what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/apifn"

func main() { apifn.Function.Start() }
