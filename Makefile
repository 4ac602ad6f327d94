# swarmgate Makefile, in the style of kubebuilder's: `make help` lists the targets.

# Image tags built by docker-build and deployed by deploy/run.
IMG ?= swarmgate:dev
ECHO_IMG ?= swarmgate-echo:dev
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

GO ?= go
GOFLAGS_BUILD ?= -trimpath
LDFLAGS ?= -s -w -X main.version=$(VERSION)

# Tools are pinned and installed into ./bin so every machine runs the same ones.
LOCALBIN ?= $(shell pwd)/bin
STATICCHECK ?= $(LOCALBIN)/staticcheck
STATICCHECK_VERSION ?= v0.7.0

# Shell settings: fail a recipe on the first failing command of a pipe.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet (including the e2e build tag).
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...

.PHONY: lint
lint: vet staticcheck ## Run go vet and staticcheck.
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags e2e ./e2e/...

.PHONY: test
test: ## Run the unit tests with the race detector.
	$(GO) test -race -count=1 ./...

.PHONY: cover
cover: ## Run the unit tests and write a coverage report to cover.html.
	$(GO) test -count=1 -coverprofile=cover.out ./...
	$(GO) tool cover -html=cover.out -o cover.html

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 20s).
	$(GO) test ./api/v1alpha1 -run '^$$' -fuzz '^FuzzParseLabels$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./api/v1alpha1 -run '^$$' -fuzz '^FuzzDecodeRoutingTable$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./proxy -run '^$$' -fuzz '^FuzzDecodeTable$$' -fuzztime $${FUZZTIME:-20s}

.PHONY: bench
bench: ## Run the Go benchmarks (reconcile, push fan-out).
	$(GO) test -run '^$$' -bench . -benchmem ./...

##@ Build

.PHONY: build
build: ## Build bin/swarmgate (static, CGO_ENABLED=0).
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -ldflags '$(LDFLAGS)' -o $(LOCALBIN)/swarmgate ./cmd/swarmgate

##@ Deployment

# The host port the proxies serve HTTP on (make run, deploy, e2e use it).
SWARMGATE_HTTP_PORT ?= 80
export SWARMGATE_HTTP_PORT
export SWARMGATE_IMAGE = $(IMG)
export ECHO_IMAGE = $(ECHO_IMG)

.PHONY: build-echo
build-echo: ## Build bin/swarmgate-echo, the demo and e2e backend (static).
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -ldflags '-s -w' -o $(LOCALBIN)/swarmgate-echo ./cmd/swarmgate-echo

.PHONY: docker-build
docker-build: build build-echo ## Build the swarmgate:dev and swarmgate-echo:dev images (FROM scratch, nothing pulled).
	hack/docker-build.sh deploy/Dockerfile $(LOCALBIN)/swarmgate $(IMG)
	hack/docker-build.sh deploy/echo.Dockerfile $(LOCALBIN)/swarmgate-echo $(ECHO_IMG)

.PHONY: swarm-up
swarm-up: ## Make a local single-node Swarm available (installs and starts Docker if needed, as root on Debian).
	hack/swarm-up.sh

.PHONY: swarm-down
swarm-down: ## Undo what swarm-up did (leave the swarm it created, stop the dockerd it started).
	hack/swarm-down.sh

.PHONY: deploy
deploy: ## Deploy the swarmgate stack (deploy/stack.yml); creates the token secret when absent.
	hack/deploy.sh

.PHONY: undeploy
undeploy: ## Remove the demo service, the stack, its secret, volume and leader record.
	hack/undeploy.sh

.PHONY: run
run: swarm-up docker-build deploy ## Quickstart: Swarm + images + stack + a 3-replica demo routed at /demo.
	hack/run-demo.sh

##@ End-to-end

.PHONY: e2e
e2e: docker-build ## Run the end-to-end suite on the local Swarm (make swarm-up first).
	$(GO) test -tags e2e -count=1 -timeout 30m -v ./e2e/...
	$(GO) test -tags e2e -count=1 -timeout 5m -v -run '^TestE2E' ./controllers/leaderelection/

##@ Benchmarks

.PHONY: bench-dataplane
bench-dataplane: build ## Benchmark `swarmgate proxy` against nginx, HAProxy and Caddy (../shared/bench/dataplane).
	CANDIDATE_NAME=swarmgate CANDIDATE_CMD='exec hack/bench-dataplane.sh' \
		bash $(CURDIR)/../shared/bench/dataplane/run.sh

##@ Dependencies

$(LOCALBIN):
	mkdir -p $(LOCALBIN)

.PHONY: staticcheck
staticcheck: $(STATICCHECK) ## Install staticcheck into ./bin.
$(STATICCHECK): | $(LOCALBIN)
	GOBIN=$(LOCALBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
