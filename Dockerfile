# looplive in a container: `docker compose up` (compose.yaml) runs it with
# PostgreSQL 15. The build stage makes the same Debian package as
# scripts/package; the runtime stage installs it on a slim Debian 12, so the
# image carries the binary and the shared libraries it was linked against.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps scripts/
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm -rf build && scripts/package

FROM debian:12-slim
COPY --from=build /src/build/package/looplive_*.deb /tmp/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates /tmp/looplive_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/looplive_*.deb \
 && install -d -o looplive -g looplive -m 0750 /var/lib/looplive/media
COPY dist/docker/looplive.yaml /etc/looplive/container.yaml
COPY dist/docker/entrypoint /usr/local/bin/looplive-entrypoint
USER looplive
WORKDIR /var/lib/looplive
VOLUME /var/lib/looplive
# RTMP (publishers), the origin (players, the CDN), the control API (the backend).
EXPOSE 1935 8080 8081
ENTRYPOINT ["looplive-entrypoint"]
CMD ["--config", "/etc/looplive/container.yaml"]
