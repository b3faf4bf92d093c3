# scripts/lib/build.sh — build wsgw with autotools, only as much as needed.
# build_tree [CONFIGURE ARGS...]  in-tree build in the source tree
# build_dir DIR [CONFIGURE ARGS...]  out-of-tree (VPATH) build in DIR

build_bootstrap() {
    if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ]; then
        echo "== autoreconf" >&2
        (cd "$TOP" && ./autogen.sh) || return 1
    fi
}

build_tree() {
    build_bootstrap || return 1
    if [ ! -f "$TOP/Makefile" ] || [ "$TOP/configure" -nt "$TOP/config.status" ]; then
        echo "== configure $*" >&2
        (cd "$TOP" && ./configure -q "$@") || return 1
    fi
    echo "== make" >&2
    make -C "$TOP" -s -j"$(nproc)" all >/dev/null || make -C "$TOP" all
}

# A second build with other flags (sanitizers) in DIR: autotools refuses a
# VPATH build once the source tree is configured in place, so DIR gets its
# own copy of the sources (tracked and untracked-but-not-ignored files).
build_dir() {
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$TOP" && git ls-files -co --exclude-standard -z 2>/dev/null |
        rsync -a --from0 --files-from=- ./ "$dir/") || return 1
    if [ ! -x "$dir/configure" ] || [ "$dir/configure.ac" -nt "$dir/configure" ]; then
        (cd "$dir" && ./autogen.sh >/dev/null 2>&1) || return 1
    fi
    if [ ! -f "$dir/Makefile" ] || [ "$dir/configure" -nt "$dir/config.status" ]; then
        echo "== configure ($dir) $*" >&2
        (cd "$dir" && ./configure -q "$@") || return 1
    fi
    echo "== make ($dir)" >&2
    make -C "$dir" -s -j"$(nproc)" all >/dev/null || make -C "$dir" all
}
