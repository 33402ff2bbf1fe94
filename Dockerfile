# syntax=docker/dockerfile:1
# Custodian FHIR R4 server.
#
#   docker build -t custodian .
#   docker run --rm -p 8080:8080 -v custodian-data:/var/lib/custodian custodian
#
# The image listens on 0.0.0.0:8080 with plain HTTP and --insecure. That is only right behind
# a TLS-terminating proxy or on a private network (as in docker-compose.yml): patient data
# must never cross a network unencrypted. To serve HTTPS from the container itself, mount a
# certificate and key and set CUSTODIAN_TLS_CERT / CUSTODIAN_TLS_KEY (then drop --insecure by
# overriding the command). The database defaults to SQLite in the /var/lib/custodian volume;
# set CUSTODIAN_DATABASE_URL=postgres://... for PostgreSQL.

# ---- build ------------------------------------------------------------------------------
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The FHIR definitions are compiled into the binary (validation, search registry).
COPY Cargo.toml Cargo.lock ./
# .cargo/config.toml carries the compile options of the bundled SQLite.
COPY .cargo ./.cargo
COPY crates ./crates
COPY fhir-schemas ./fhir-schemas
COPY tests ./tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p custodian-server --bin custodian \
 && install -D -m 0755 target/release/custodian /out/custodian

# ---- runtime ----------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 custodian \
 && useradd --system --uid 10001 --gid custodian --home-dir /var/lib/custodian \
      --shell /usr/sbin/nologin custodian \
 && install -d -o custodian -g custodian -m 0750 /var/lib/custodian
COPY --from=build /out/custodian /usr/local/bin/custodian
USER custodian:custodian
WORKDIR /var/lib/custodian
ENV CUSTODIAN_DATABASE_URL=sqlite:///var/lib/custodian/custodian.db \
    RUST_LOG=info
VOLUME ["/var/lib/custodian"]
EXPOSE 8080
# /readyz answers 200 once the database is reachable.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# SIGTERM (docker stop) lets in-flight requests finish, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["custodian"]
# Plain HTTP beyond loopback needs --insecure: see the note at the top.
CMD ["serve", "--listen", "0.0.0.0:8080", "--insecure"]
