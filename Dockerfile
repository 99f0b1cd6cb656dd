# flex-db: a static binary on a minimal base, running as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/flexdb ./cmd/flexdb \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/flexdb /flexdb
COPY --from=build --chown=65532:65532 /out/data /data
ENV FLEXDB_DATA_DIR=/data
EXPOSE 50051 5000
USER 65532:65532
ENTRYPOINT ["/flexdb"]
CMD ["serve"]
