# The image GoReleaser publishes (.goreleaser.yaml, dockers_v2) as
# ghcr.io/<owner>/<repo>:vX.Y.Z, :vX and :latest, for GitLab CI, Jenkins and
# `docker run`. It holds the release binary and nothing else: GoReleaser has
# already cross-compiled it, and hands docker buildx a context with one binary
# per platform at linux/<arch>/wxcloud-deploy (hence $TARGETPLATFORM below).
# Nothing is compiled here, so no Go image is pulled and no QEMU is needed
# for arm64.
#
# The GitHub Action no longer uses this file: it is a composite action that
# downloads the same release binary (action.yml, .github/install.sh).
#
# A local image without GoReleaser:
#   CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o linux/amd64/wxcloud-deploy .
#   docker build --platform linux/amd64 -t wxcloud-deploy:dev .

# static-debian12 carries CA certificates and tzdata; the binary needs no
# libc. The nonroot variant runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/wxcloud-deploy /wxcloud-deploy
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/wxcloud-deploy"]
