# kvenv: one image with the webhook, the init-container fetcher and the
# wrapper. Static binaries on a distroless-style base, run as a numeric non-root
# user so that PSA `restricted` and runAsNonRoot checks pass without a lookup.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags='-s -w' -o /out/ ./cmd/kvenv-webhook ./cmd/kvenv ./cmd/kvenv-exec

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kvenv-webhook /out/kvenv /out/kvenv-exec /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kvenv-webhook"]
