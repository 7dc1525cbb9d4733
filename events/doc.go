// Package events holds the contracts of the events the rack consumes: for
// each one, its wire values as constants and its detail as a documented Go
// struct with the JSON names of the real payload, with samples in testdata/
// that round-trip through the types without losing a field.
//
// The envelope is aws-lambda-go's events.CloudWatchEvent (alias
// EventBridgeEvent); this package describes what its Detail holds. It
// imports no AWS SDK, so a handler can depend on it and stay light.
package events
