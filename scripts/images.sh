#!/usr/bin/env bash
# OCI images for a local Kubernetes node running containerd 1.6, built offline (only the Go
# module proxy and Debian's mirror are reached). They stand in for the real registry's images
# when the local stacks run on a real node.
#
#   bash scripts/images.sh build              build every image archive (current ones are reused)
#   bash scripts/images.sh import <address>...  build if needed, then import every archive into the
#                                             containerd at each <address> (namespace k8s.io, side
#                                             by side) and print the references; a no-op when they
#                                             are already there
#   bash scripts/images.sh list               the references and their archive paths
#
# Images (sources under images/, docs in images/README.md):
#   team-environments.local/pause:1                  containerd's sandbox_image (images/pause)
#   team-environments.local/app/<service>:<tag>      pwa, api-gateway, core-api, auth (images/app)
#   team-environments.local/app/tools:<tag>          the staging data refresh (images/app)
#   team-environments.local/postgres:15              Debian bookworm's postgresql-15 (images/postgres)
#   team-environments.local/coredns:<version>        only with COREDNS_BINARY (below): the real
#                                                    nodes' kube-dns (scripts/cluster/real-node.sh)
# Tags of the app images: APP_TAGS below (the one list).
#
# Each archive is an OCI image layout in a tar (what `ctr images import` reads), cached as
# $CACHE/images/<name>-<key>.tar, where <key> hashes every input: the sources, go.mod/go.sum, the
# Go version, the Debian candidate versions and mirror, the tag list and the code of this script
# that builds it. It is written under a temporary name and renamed when complete, so a half-built
# archive is never reused.
#
# Reproducibility: every timestamp is IMAGE_EPOCH (file mtimes, config `created`, history) and
# the Go binaries are built with -trimpath and no build id, so the pause, app and coredns archives
# are bit-for-bit reproducible (same file, same digests, also with an empty Go build cache). The
# postgres archive came out bit-for-bit identical too in repeated builds (mmdebstrap honours
# SOURCE_DATE_EPOCH; mtimes are clamped; logs, caches and the random snakeoil key are removed),
# but only while Debian's mirror serves the same package versions: after a point or security
# release it differs, by design (its key changes too).
#
# Environment (all optional):
#   TEAM_ENV_CACHE      cache root (default ~/.cache/team-environments; scripts/lib/cache.sh)
#   IMAGES_SNAPSHOTTER  containerd snapshotter to unpack into on import (default: containerd's)
#   COREDNS_BINARY      a static coredns binary (scripts/cluster.sh builds it): adds the coredns image
#   COREDNS_VERSION     its tag (default: the binary's own version, `coredns -version`, as v1.2.3)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
SRC="$REPO/images"
# shellcheck source=scripts/lib/cache.sh
source "$SCRIPT_DIR/lib/cache.sh"
IMAGES_CACHE="$TEAM_ENV_CACHE_ROOT/images"

REGISTRY=team-environments.local
APP_REGISTRY="$REGISTRY/app"
# The services of policy/conventions.ts SERVICES (checked below), and the staging tools image.
APP_SERVICES=(pwa api-gateway core-api auth)
APP_IMAGES=("${APP_SERVICES[@]}" tools)
# Every app image is built with each of these tags. Same binaries; APP_VERSION=<tag> in the
# config. broken-migration is the deliberately broken image: its migrate exits 1 (MIGRATE_FAIL=1).
APP_TAGS=(v1 v2 broken-migration)
BROKEN_TAG=broken-migration
APP_UID=10001
PAUSE_REF="$REGISTRY/pause:1"
PAUSE_UID=65535
POSTGRES_REF="$REGISTRY/postgres:15"
POSTGRES_UID=70                 # the postgres uid of the official alpine image (components/postgres.ts)
POSTGRES_BIN=/usr/lib/postgresql/15/bin
POSTGRES_PACKAGES=(postgresql-15)
# The packages whose candidate versions key the postgres archive (Debian's security updates land in these).
POSTGRES_KEY_PACKAGES=(postgresql-15 postgresql-common libpq5 libc6 libssl3 libicu72 tzdata)
DEBIAN_SUITE=bookworm
# 2025-01-01T00:00:00Z: every timestamp in every image.
IMAGE_EPOCH=1735689600
IMAGE_CREATED=2025-01-01T00:00:00Z
ARCHIVES=(pause app postgres)

# ---------------------------------------------------------------- helpers ----
LOG_NAME=images
# shellcheck source=scripts/lib/log.sh
source "$SCRIPT_DIR/lib/log.sh"

# The services of policy/conventions.ts must all have an image (the program deploys them).
check_services() {
  local name
  while read -r name; do
    [[ " ${APP_SERVICES[*]} " == *" $name "* ]] ||
      die "policy/conventions.ts lists service $name, which has no image: add it to APP_SERVICES in scripts/images.sh and to images/app's route table"
  done < <(sed -n 's/.*{ name: "\([a-z0-9-]*\)", component: "\(web\|api\)".*/\1/p' "$REPO/policy/conventions.ts")
}

# The coredns archive is built only when COREDNS_BINARY names a binary; sets COREDNS_REF.
coredns_inputs() {
  local version="${COREDNS_VERSION:-}"
  [[ -n "${COREDNS_BINARY:-}" && -z "${COREDNS_REF:-}" ]] || return 0
  [[ -f "$COREDNS_BINARY" && -x "$COREDNS_BINARY" ]] || die "COREDNS_BINARY=$COREDNS_BINARY is not an executable file"
  if [[ -z "$version" ]]; then
    version="$("$COREDNS_BINARY" -version 2>/dev/null | sed -n 's/^CoreDNS-\([0-9][0-9a-z.+-]*\)$/v\1/p' | head -n1)"
    [[ -n "$version" ]] || die "cannot tell the version of $COREDNS_BINARY (coredns -version printed no CoreDNS-x.y.z): set COREDNS_VERSION"
  fi
  COREDNS_REF="$REGISTRY/coredns:$version"
  ARCHIVES+=(coredns)
}

# ------------------------------------------------------- debian packages -----
# shellcheck source=scripts/lib/debian.sh
source "$SCRIPT_DIR/lib/debian.sh"

# need_commands CMD:PACKAGE...: installs Debian's PACKAGE for each CMD not on PATH.
need_commands() {
  local spec packages=()
  for spec in "$@"; do command -v "${spec%%:*}" >/dev/null || packages+=("${spec#*:}"); done
  ((${#packages[@]} == 0)) || debian_install "${packages[@]}"
  for spec in "$@"; do command -v "${spec%%:*}" >/dev/null || die "${spec%%:*} still not found after installing Debian's ${spec#*:}"; done
}

candidate() { debian_candidates "$1" | cut -d= -f2-; }

# The bookworm sources this machine's apt uses (main of the suite, -updates and -security), as
# one-line `deb` entries; the same mirror serves the image build.
debian_sources() {
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
  [[ -f "$keyring" ]] && signed="[signed-by=$keyring] "
  LC_ALL=C apt-cache policy 2>/dev/null | awk -v s="$DEBIAN_SUITE" -v signed="$signed" '
    $1 ~ /^[0-9]+$/ && $2 ~ /^https?:\/\// {
      n = split($3, a, "/")
      if (n == 2 && a[2] == "main" && (a[1] == s || a[1] == s "-updates" || a[1] == s "-security"))
        print "deb " signed $2 " " a[1] " main"
    }' | sort -u
}

# Fills POSTGRES_SOURCES and POSTGRES_VERSIONS; refreshes the package lists once (as root) when
# they do not know postgresql-15 yet. With refresh=no (list) it only reads what is there.
debian_inputs() {
  local refresh="$1"
  [[ "$refresh" != yes ]] || debian_lists_know "${POSTGRES_KEY_PACKAGES[@]}"
  mapfile -t POSTGRES_VERSIONS < <(debian_candidates "${POSTGRES_KEY_PACKAGES[@]}")
  mapfile -t POSTGRES_SOURCES < <(debian_sources)
  if ((${#POSTGRES_SOURCES[@]} == 0)) && [[ "$refresh" == yes ]]; then
    die "this machine's apt has no $DEBIAN_SUITE main source (apt-cache policy lists none): the postgres image is built from $DEBIAN_SUITE"
  fi
}

# ------------------------------------------------------------------ keys -----
# hash_tree DIR: path and content hash of every file under images/DIR but tests.
hash_tree() {
  (cd "$SRC" && find "$1" -type f ! -name '*_test.go' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

go_version() { go env GOVERSION 2>/dev/null || echo "no-go"; }

# key NAME: the hash of everything archive NAME is built from (16 hex digits): its sources, the
# code of this script that builds it and the settings it reads (not the rest of the script, so a
# change to import or list rebuilds nothing).
key() {
  {
    echo "archive $1 epoch $IMAGE_EPOCH $IMAGE_CREATED registry $REGISTRY $APP_REGISTRY"
    echo "uids $APP_UID $PAUSE_UID $POSTGRES_UID refs $PAUSE_REF $POSTGRES_REF $POSTGRES_BIN"
    echo "debian $DEBIAN_SUITE ${POSTGRES_PACKAGES[*]}"
    declare -f new_image repack configure finish go_build "build_$1"
    umoci --version 2>/dev/null || true
    case "$1" in
      pause) hash_tree pause; go_version ;;
      app) hash_tree app; go_version; echo "images ${APP_IMAGES[*]} tags ${APP_TAGS[*]} broken $BROKEN_TAG" ;;
      postgres) hash_tree postgres; printf '%s\n' "${POSTGRES_SOURCES[@]}" "${POSTGRES_VERSIONS[@]}" ;;
      coredns) echo "$COREDNS_REF"; sha256sum <"$COREDNS_BINARY" ;;
    esac
  } | sha256sum | cut -c1-16
}

# A key hashes megabytes (the coredns binary, the sources): computed once per archive and run, by
# key_archives once the inputs are read.
declare -A ARCHIVE_PATHS=()
key_archives() {
  local name
  for name in "${ARCHIVES[@]}"; do ARCHIVE_PATHS[$name]="$IMAGES_CACHE/$name-$(key "$name").tar"; done
}
archive_path() { echo "${ARCHIVE_PATHS[$1]:?no key for archive $1: key_archives first}"; }

# The references archive NAME holds, one per line.
refs_of() {
  local image tag
  case "$1" in
    pause) echo "$PAUSE_REF" ;;
    postgres) echo "$POSTGRES_REF" ;;
    coredns) echo "$COREDNS_REF" ;;
    app) for image in "${APP_IMAGES[@]}"; do for tag in "${APP_TAGS[@]}"; do echo "$APP_REGISTRY/$image:$tag"; done; done ;;
  esac
}

# "<reference> <manifest digest>" lines of a built archive, read from its index.json.
archive_manifests() {
  tar -xOf "$1" --occurrence=1 index.json |
    jq -r '.manifests[] | "\(.annotations["io.containerd.image.name"]) \(.digest)"'
}

# ------------------------------------------------------------ oci layout -----
# new_image LAYOUT TAG BUNDLE: a new empty image TAG and its unpacked bundle (BUNDLE/rootfs).
new_image() {
  local layout="$1" tag="$2" bundle="$3"
  [[ -d "$layout" ]] || umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci unpack --image "$layout:$tag" "$bundle" >/dev/null
}

# repack LAYOUT TAG BUNDLE WHAT: BUNDLE/rootfs as one layer of TAG, every mtime clamped to
# IMAGE_EPOCH. (umoci insert is not used: umoci 0.4.7's writes a layer without the tar trailer.)
repack() {
  local layout="$1" tag="$2" bundle="$3" what="$4"
  find "$bundle/rootfs" -newermt "@$IMAGE_EPOCH" -exec touch --no-dereference --date="@$IMAGE_EPOCH" {} +
  umoci repack --image "$layout:$tag" --history.created "$IMAGE_CREATED" --history.created_by "scripts/images.sh: $what" "$bundle"
  rm -rf "$bundle"
}

# configure LAYOUT FROM TO ARGS...: image TO = FROM with the config ARGS (umoci config flags).
configure() {
  local layout="$1" from="$2" to="$3"; shift 3
  umoci config --image "$layout:$from" --tag "$to" --no-history --created "$IMAGE_CREATED" \
    --author "team-environments scripts/images.sh" "$@"
}

# finish LAYOUT OUT "TAG=REFERENCE"...: keeps only the named tags, names each by its full
# reference (org.opencontainers.image.ref.name and io.containerd.image.name, which containerd
# 1.6's `ctr images import` uses as the image name), and writes the layout as a tar.
finish() {
  local layout="$1" out="$2" t tag map='{}' keep=()
  shift 2
  for t in "$@"; do
    keep+=("${t%%=*}")
    map="$(jq -c --arg t "${t%%=*}" --arg r "${t#*=}" '. + {($t): $r}' <<<"$map")"
  done
  while read -r tag; do
    [[ " ${keep[*]} " == *" $tag "* ]] || umoci rm --image "$layout:$tag"
  done < <(umoci ls --layout "$layout")
  umoci gc --layout "$layout"
  jq -c --argjson map "$map" '
    .manifests |= (map(.annotations["org.opencontainers.image.ref.name"] as $t
      | .annotations = {"io.containerd.image.name": $map[$t], "org.opencontainers.image.ref.name": $map[$t]})
      | sort_by(.annotations["io.containerd.image.name"]))' "$layout/index.json" >"$layout/index.json.new"
  mv "$layout/index.json.new" "$layout/index.json"
  jq -e --argjson n "$#" '(.manifests | length) == $n and all(.manifests[]; .annotations["io.containerd.image.name"] != null)' \
    "$layout/index.json" >/dev/null || die "index.json of $out does not name exactly the $# images expected"
  tar --create --file "$out" --directory "$layout" --format=ustar --sort=name --numeric-owner \
    --owner=0 --group=0 --mode=go-w --mtime="@$IMAGE_EPOCH" oci-layout index.json blobs
}

# go_build MODULE OUT PKG...: static binaries of images/MODULE into OUT.
go_build() {
  local module="$1" out="$2"; shift 2
  (cd "$SRC/$module" &&
    CGO_ENABLED=0 GOOS=linux GOFLAGS="-mod=readonly -buildvcs=false" \
      go build -trimpath -ldflags "-s -w -buildid=" -o "$out/" "$@") ||
    die "go build in images/$module failed"
}

# ----------------------------------------------------------------- builds ----
# Each build_NAME WORK OUT builds in WORK (a fresh temporary directory) and writes archive OUT.

build_pause() {
  local work="$1" out="$2" layout="$1/layout"
  go_build pause "$work/bin" .
  new_image "$layout" base "$work/bundle"
  install -m 0555 "$work/bin/pause" "$work/bundle/rootfs/pause"
  repack "$layout" base "$work/bundle" "/pause (images/pause)"
  configure "$layout" base pause --config.user "$PAUSE_UID:$PAUSE_UID" --config.entrypoint /pause \
    --config.label "org.opencontainers.image.title=pause"
  finish "$layout" "$out" "pause=$PAUSE_REF"
}

build_app() {
  local work="$1" out="$2" layout="$1/layout" root image tag
  local -a named=() args
  go_build app "$work/bin" ./cmd/server ./cmd/migrate ./cmd/tools
  new_image "$layout" base "$work/bundle"
  root="$work/bundle/rootfs"
  install -d -m 0755 "$root/app" "$root/etc"
  install -d -m 1777 "$root/tmp"
  install -m 0555 "$work/bin/server" "$work/bin/migrate" "$work/bin/tools" "$root/app/"
  # Names for the uids the pods run as (nothing needs them; `id` and tools that look users up do).
  printf '%s\n' "root:x:0:0:root:/root:/sbin/nologin" "app:x:$APP_UID:$APP_UID:app:/tmp:/sbin/nologin" \
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin" >"$root/etc/passwd"
  printf '%s\n' "root:x:0:" "app:x:$APP_UID:" "nogroup:x:65534:" >"$root/etc/group"
  chmod 0444 "$root/etc/passwd" "$root/etc/group"
  repack "$layout" base "$work/bundle" "/app/server, /app/migrate, /app/tools (images/app)"
  for image in "${APP_IMAGES[@]}"; do
    for tag in "${APP_TAGS[@]}"; do
      args=(--config.user "$APP_UID:$APP_UID" --config.workingdir /app
        --config.env "SERVICE=$image" --config.env "APP_VERSION=$tag"
        --config.label "org.opencontainers.image.title=$image" --config.label "org.opencontainers.image.version=$tag")
      if [[ "$image" == tools ]]; then
        args+=(--config.entrypoint /app/tools)
      else
        args+=(--config.entrypoint /app/server --config.env PORT=8080 --config.exposedports 8080/tcp)
      fi
      [[ "$tag" != "$BROKEN_TAG" ]] || args+=(--config.env MIGRATE_FAIL=1)
      configure "$layout" base "$image-$tag" "${args[@]}"
      named+=("$image-$tag=$APP_REGISTRY/$image:$tag")
    done
  done
  finish "$layout" "$out" "${named[@]}"
}

# Debian's postgresql-15 into a minimal root (variant essential: no apt in the image), the
# postgres user and group created with uid/gid 70 before the package so its postinst reuses them,
# no default cluster, no docs, man pages or translations. After the install, what only the
# package's tools need is dropped: LLVM and the JIT (postgres runs without them: jit just stays
# off), perl (only pg_wrapper and the cluster scripts use it; the image runs the binaries of
# /usr/lib/postgresql/15/bin directly) and the locale sources (initdb uses C.UTF-8 of libc).
build_postgres() {
  local work="$1" out="$2" layout="$1/layout" root
  local -a mirrors=()
  local source
  for source in "${POSTGRES_SOURCES[@]}"; do mirrors+=("$source"); done
  new_image "$layout" base "$work/bundle"
  root="$work/bundle/rootfs"
  local essential_hook customize_hook
  essential_hook="$(cat <<EOF
set -e
printf '%s\n' 'postgres:x:$POSTGRES_UID:$POSTGRES_UID:PostgreSQL administrator:/var/lib/postgresql:/bin/sh' >>"\$1/etc/passwd"
printf '%s\n' 'postgres:x:$POSTGRES_UID:' >>"\$1/etc/group"
mkdir -p "\$1/etc/postgresql-common/createcluster.d"
printf '%s\n' 'create_main_cluster = false' >"\$1/etc/postgresql-common/createcluster.d/no-main-cluster.conf"
EOF
)"
  customize_hook="$(cat <<EOF
set -e
chroot "\$1" dpkg --purge --force-depends libllvm14 libz3-4 perl perl-modules-5.36 libperl5.36 locales >/dev/null
# The man pages postgresql-15 registers as alternatives (dpkg cannot exclude them: the postinst needs them).
rm -rf "\$1"/usr/share/postgresql/*/man "\$1"/etc/alternatives/*.[1-9].gz "\$1"/usr/share/man/*
rm -rf "\$1$POSTGRES_BIN/../lib/bitcode" "\$1$POSTGRES_BIN/../lib/llvmjit.so" "\$1$POSTGRES_BIN/../lib/llvmjit_types.bc"
rm -f "\$1/etc/ssl/private/ssl-cert-snakeoil.key" "\$1/etc/ssl/certs/ssl-cert-snakeoil.pem"
rm -rf "\$1"/var/log/* "\$1"/var/cache/ldconfig/aux-cache "\$1"/var/cache/debconf/*-old "\$1"/var/lib/dpkg/*-old
install -d -o $POSTGRES_UID -g $POSTGRES_UID -m 1777 "\$1/var/lib/postgresql/data"
install -m 0755 "$SRC/postgres/entrypoint.sh" "\$1/usr/local/bin/entrypoint.sh"
EOF
)"
  SOURCE_DATE_EPOCH="$IMAGE_EPOCH" mmdebstrap --quiet --mode=root --format=directory --variant=essential \
    --include="$(IFS=,; echo "${POSTGRES_PACKAGES[*]}")" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --essential-hook="$essential_hook" --customize-hook="$customize_hook" \
    "$DEBIAN_SUITE" "$root" "${mirrors[@]}" >"$IMAGES_CACHE/postgres-mmdebstrap.log" 2>&1 ||
    die "mmdebstrap of $DEBIAN_SUITE with ${POSTGRES_PACKAGES[*]} failed (log: $IMAGES_CACHE/postgres-mmdebstrap.log)"
  [[ -x "$root$POSTGRES_BIN/postgres" && -x "$root$POSTGRES_BIN/pg_isready" ]] || die "the postgres root has no $POSTGRES_BIN/postgres"
  # /run is a tmpfs while mmdebstrap runs: what goes there is made afterwards.
  install -d -o "$POSTGRES_UID" -g "$POSTGRES_UID" -m 3777 "$root/run/postgresql"
  log "postgres root filesystem: $(du -sh "$root" | cut -f1) ($(chroot "$root" dpkg-query -W | wc -l) packages)"
  repack "$layout" base "$work/bundle" "mmdebstrap $DEBIAN_SUITE ${POSTGRES_PACKAGES[*]} (images/postgres)"
  configure "$layout" base postgres --config.user "$POSTGRES_UID:$POSTGRES_UID" \
    --config.entrypoint /usr/local/bin/entrypoint.sh \
    --config.env "PATH=$POSTGRES_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --config.env PGDATA=/var/lib/postgresql/data/pgdata \
    --config.exposedports 5432/tcp --config.stopsignal SIGINT \
    --config.label "org.opencontainers.image.title=postgres" \
    --config.label "org.opencontainers.image.version=$(candidate postgresql-15)"
  finish "$layout" "$out" "postgres=$POSTGRES_REF"
}

# CoreDNS as the kube-dns Deployment of scripts/cluster/real-node.sh runs it: /coredns with its
# -conf argument, as a non-root user (the pod sets 65534), on a read-only root.
build_coredns() {
  local work="$1" out="$2" layout="$1/layout"
  new_image "$layout" base "$work/bundle"
  install -m 0555 "$COREDNS_BINARY" "$work/bundle/rootfs/coredns"
  repack "$layout" base "$work/bundle" "/coredns ($COREDNS_REF)"
  configure "$layout" base coredns --config.user 65534:65534 --config.entrypoint /coredns \
    --config.exposedports 53/udp --config.exposedports 53/tcp --config.exposedports 9153/tcp \
    --config.label "org.opencontainers.image.title=coredns" --config.label "org.opencontainers.image.version=${COREDNS_REF##*:}"
  finish "$layout" "$out" "coredns=$COREDNS_REF"
}

# build_archive NAME WHAT ESTIMATE: archive NAME, unless the current one exists. The archive appears
# under its final name only when complete; older archives of NAME are removed then.
build_archive() {
  local name="$1" what="$2" estimate="$3" out work old
  out="$(archive_path "$name")"
  if [[ -s "$out" ]]; then
    log "$name: cached ($out)"
    return 0
  fi
  mkdir -p "$IMAGES_CACHE"
  work="$(mktemp -d "$IMAGES_CACHE/.build-$name.XXXXXX")"
  # shellcheck disable=SC2064  # expand $work now: the trap outlives this function's locals
  trap "rm -rf '$work'" EXIT
  step "building $what (~$estimate cold)" "build_$name" "$work" "$work/archive.tar"
  mv -f "$work/archive.tar" "$out"
  rm -rf "$work"
  trap - EXIT
  for old in "$IMAGES_CACHE/$name"-*.tar; do
    [[ "$old" == "$out" || ! -e "$old" ]] || rm -f "$old"
  done
  log "$name: $out ($(du -h "$out" | cut -f1))"
}

# ---------------------------------------------------------------- commands ---
cmd_build() {
  local t0=$SECONDS
  check_services
  need_commands umoci:umoci mmdebstrap:mmdebstrap jq:jq
  command -v go >/dev/null || die "go is not on PATH (needed to build the pause and app images)"
  [[ $(id -u) -eq 0 ]] || die "building needs root: mmdebstrap installs Debian's packages into a chroot and the images hold files owned by uid 70"
  debian_inputs yes
  coredns_inputs
  key_archives
  build_archive pause "pause image" "10s"
  build_archive app "app images (${#APP_IMAGES[@]} images x ${#APP_TAGS[@]} tags)" "40s"
  build_archive postgres "postgres image" "1.5 min"
  [[ -z "${COREDNS_REF:-}" ]] || build_archive coredns "coredns image ($COREDNS_REF)" "5s"
  log "build: done in $((SECONDS - t0))s"
}

# imported ADDRESS ARCHIVE: true when every reference of ARCHIVE is in containerd with its digest.
imported() {
  local address="$1" archive="$2" ref digest present
  present="$(ctr --address "$address" -n k8s.io images ls 2>/dev/null | awk 'NR > 1 { print $1, $3 }')"
  while read -r ref digest; do
    grep -qxF "$ref $digest" <<<"$present" || return 1
  done < <(archive_manifests "$archive")
}

# ctr_import ADDRESS ARCHIVE [--snapshotter NAME]: import and unpack, quietly unless it fails.
ctr_import() {
  local out
  out="$(ctr --address "$1" -n k8s.io images import "${@:3}" "$2" 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
}

# import_into ADDRESS: every archive into one containerd (the archives are built).
import_into() {
  local address="$1" name archive
  local -a snapshotter=()
  [[ -z "${IMAGES_SNAPSHOTTER:-}" ]] || snapshotter=(--snapshotter "$IMAGES_SNAPSHOTTER")
  for name in "${ARCHIVES[@]}"; do
    archive="$(archive_path "$name")"
    if imported "$address" "$archive"; then
      log "$name: already imported into $address (namespace k8s.io)"
      continue
    fi
    step "importing $name into $address (namespace k8s.io)" ctr_import "$address" "$archive" "${snapshotter[@]}"
    imported "$address" "$archive" ||
      die "after importing $archive, containerd at $address does not list all of its references with their digests"
  done
}

# cmd_import ADDRESS...: builds (or reuses) the archives once, then imports them into every
# containerd side by side (unpacking is most of the time); each one's output is printed whole.
cmd_import() {
  local address i t0=$SECONDS out
  local -a addresses=() pids=()
  (($# > 0)) || die "import needs a containerd address: bash scripts/images.sh import <containerd-address>..., e.g. /run/containerd/containerd.sock"
  command -v ctr >/dev/null || die "ctr not found: it comes with Debian's containerd package (apt-get install containerd)"
  for address in "$@"; do
    address="${address#unix://}"
    [[ -S "$address" ]] || die "no containerd socket at $address"
    ctr --address "$address" --connect-timeout 5s version >/dev/null 2>&1 ||
      die "containerd does not answer at $address (ctr version failed)"
    addresses+=("$address")
  done
  cmd_build
  out="$(mktemp -d)"
  for i in "${!addresses[@]}"; do
    import_into "${addresses[i]}" >"$out/$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[i]}"; then
      cat "$out/$i.log" >&2
      rm -rf "$out"
      die "importing into ${addresses[i]} failed (its output is above)"
    fi
    cat "$out/$i.log"
  done
  rm -rf "$out"
  log "import: done in $((SECONDS - t0))s; references in ${addresses[*]} (namespace k8s.io):"
  for name in "${ARCHIVES[@]}"; do archive_manifests "$(archive_path "$name")"; done
}

cmd_list() {
  local name archive ref state
  debian_inputs no
  coredns_inputs
  key_archives
  for name in "${ARCHIVES[@]}"; do
    archive="$(archive_path "$name")"
    state="$archive"
    [[ -s "$archive" ]] || state="$archive (not built)"
    while read -r ref; do printf '%-56s %s\n' "$ref" "$state"; done < <(refs_of "$name")
  done
}

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  build) [[ $# -eq 1 ]] || die "build takes no arguments"; cmd_build ;;
  import) shift; cmd_import "$@" ;;
  list) [[ $# -eq 1 ]] || die "list takes no arguments"; cmd_list ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) die "unknown subcommand '$1' (expected build, import <containerd-address> or list)" ;;
esac
