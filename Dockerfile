# An image for CI jobs, with pysec installed from its Debian package.
#
#   docker build -t pysec .
#   docker run --rm -v "$PWD:/work" -w /work pysec git pysec scan --full
#
# The first stage builds the package (debian/) as dpkg-buildpackage does on
# any bookworm machine, fetching and verifying the pinned grammar with npm;
# the second installs it on a clean bookworm-slim with git, and runs as an
# unprivileged user.  A CI job whose checkout belongs to another user must
# name it safe (git config --global --add safe.directory "$PWD"); see the CI
# templates in examples/ci/.
FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends \
      build-essential debhelper dpkg-dev pkg-config scdoc npm openssl ca-certificates \
      libgit2-dev libtree-sitter-dev libcurl4-openssl-dev libjansson-dev libpcre2-dev \
      libyaml-dev libinih-dev libkrb5-dev \
      libmicrohttpd-dev libsqlite3-dev libpq-dev libssl-dev libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build/pysec
COPY . .
RUN make grammar && dpkg-buildpackage -us -uc -b

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /build/pysec_*.deb /tmp/
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends ca-certificates /tmp/pysec_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/pysec_*.deb \
 && useradd --create-home --uid 10001 --shell /bin/sh pysec
USER pysec
WORKDIR /home/pysec
CMD ["git", "pysec", "help"]
