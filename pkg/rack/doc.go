// Package rack holds the domain of a rack: its nouns (App, Build, Release,
// Process, Instance, System), their typed statuses and the moves allowed
// between them, identifiers, and the coded errors every layer shares.
//
// It imports nothing from AWS. Adapters (the DynamoDB store, CloudFormation,
// CodeBuild, ...) translate to and from these types at their edge, and only
// the HTTP layer maps an error code to a status.
package rack
