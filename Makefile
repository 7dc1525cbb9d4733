# Rack. A fresh machine needs only `make dev` and `make test` (see README.md):
# every target installs what it needs itself.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export VERSION

.PHONY: build cli functions test e2e lint dev api synth cdk fixtures clean

## build: the convox CLI (bin/convox, and bin/convox-aws beside it) and every function as a Lambda zip (dist/lambda/<arch>/)
build: cli functions

# convox-aws installs and uninstalls racks with the user's AWS credentials;
# convox runs it, so that only those two commands load the AWS SDK.
cli:
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/convox ./cli
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/convox-aws ./cli/convox-aws

functions:
	scripts/build-functions

## lint: gofmt, go vet and the layout's import rules (scripts/check-imports)
lint:
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [[ -n $$unformatted ]]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	@# Vetted as the functions and the CLI are built (-trimpath, no cgo):
	@# what vet compiles, the build then reuses.
	CGO_ENABLED=0 go vet -trimpath ./...
	scripts/check-imports
	cd infra && go vet .

## test: lint, then every test, with an emulator of its own
test: lint build
	scripts/test

## e2e: install the rack on a fresh emulator, drive it with convox, uninstall it
e2e:
	scripts/e2e

## dev: a local rack on the emulator
dev:
	scripts/dev

## api: the local rack environment: the API as a plain HTTP server on the emulator
api:
	scripts/api

# jsii runs on the machine's Node 20 and would print a banner about it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

## synth: the rack template, infra/cdk.out/Rack.template.json
synth:
	cd infra && go run .

## cdk: the pinned aws-cdk CLI, for `make cdk ARGS="diff"` and the like
cdk:
	cd infra && npm ci --no-audit --no-fund --silent
	infra/node_modules/.bin/cdk $(ARGS)

## fixtures: regenerate the golden templates (infra/testdata/rack.template.json, pkg/appstack/testdata/*.json); review their diff
fixtures:
	cd infra && UPDATE_GOLDEN=1 go test -count=1 -run TestGolden .
	UPDATE_GOLDEN=1 go test -count=1 -run TestGolden ./pkg/appstack

## clean: remove build output and stop the emulators this checkout started
clean:
	-EMULATOR_NAME=dev scripts/emulator stop
	-EMULATOR_NAME=test scripts/emulator stop
	rm -rf bin dist infra/cdk.out
