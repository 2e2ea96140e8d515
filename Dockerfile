# syntax=docker/dockerfile:1
#
# Two images from one file:
#   - the last stage (the default target) is what GitHub builds for
#     `uses: wxcloud-deploy/wxcloud-deploy@v1`; it runs as root (see below);
#   - `--target nonroot` is the image published to ghcr.io for other CI
#     systems and `docker run`, running as distroless' nonroot user (65532).

# Keep in step with the go line of go.mod (go 1.26.x).
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
# Cross-compiles on the build platform: no emulation needed for arm64.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/wxcloud-deploy/wxcloud-deploy/internal/cli.version=${VERSION}" -o /wxcloud-deploy .

# static-debian12 carries CA certificates and tzdata; the binary needs no libc.
FROM gcr.io/distroless/static-debian12:nonroot AS nonroot
COPY --from=build /wxcloud-deploy /wxcloud-deploy
ENTRYPOINT ["/wxcloud-deploy"]

# The docker action. GitHub runs docker actions with the workspace mounted at
# /github/workspace and the command files ($GITHUB_OUTPUT,
# $GITHUB_STEP_SUMMARY) under /github/file_commands, all owned by the runner's
# user (uid 1001 on GitHub-hosted runners, something else on self-hosted
# ones). GitHub's "Dockerfile support for GitHub Actions" says docker actions
# must run as the default user, root: as uid 65532 the action could neither
# write its outputs nor read a private workspace. Hence root here, and only
# here: the container is thrown away after the step and holds nothing but a
# static binary (no shell, no package manager).
FROM gcr.io/distroless/static-debian12:nonroot AS action
COPY --from=build /wxcloud-deploy /wxcloud-deploy
USER 0:0
ENTRYPOINT ["/wxcloud-deploy"]
