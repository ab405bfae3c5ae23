# meshtwin in a container (docs/install.md). Two stages:
#   build    Debian 12 with the packages CI installs (scripts/install-deps.sh, the same script
#            `make test` runs), then `make package`: the Release build and its .deb
#   runtime  plain Debian 12 with only that .deb, installed by apt so that its Depends (the
#            shared libraries dpkg-shlibdeps found, Qt's platform plugins, a font) resolve
#   docker build -t meshtwin .
#   docker run --rm -v "$PWD:/work" meshtwin run bookinfo/reviews-80-20.yaml -o results.db
#   docker run --rm -v "$PWD:/work" meshtwin report results.db
# Not built by CI: the machines this project is developed and tested on reach no image
# registry, so `debian:12` cannot be pulled there. Every step below is one CI runs (see
# docs/install.md for which test covers which).
FROM debian:12 AS build
WORKDIR /src
# The package list first, so that the image layer with the build tools survives source edits.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make package JOBS="$(nproc)" && cp build/release/meshtwin_*.deb /

FROM debian:12 AS runtime
COPY --from=build /meshtwin_*.deb /tmp/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/meshtwin_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/meshtwin_*.deb \
 && meshtwin --version
# Results files land in the folder mounted here; bundled scenarios are found by name
# (bookinfo/reviews-80-20.yaml) in /usr/share/meshtwin/scenarios.
WORKDIR /work
ENTRYPOINT ["meshtwin"]
CMD ["--help"]
