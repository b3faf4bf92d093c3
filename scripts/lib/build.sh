# scripts/lib/build.sh — build wsgw with autotools, only as much as needed.
# build_tree [CONFIGURE ARGS...]  in-tree build in the source tree
# build_dir DIR [CONFIGURE ARGS...]  out-of-tree (VPATH) build in DIR

build_bootstrap() {
    if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ]; then
        echo "== autoreconf"
        (cd "$TOP" && ./autogen.sh) || return 1
    fi
}

build_tree() {
    build_bootstrap || return 1
    if [ ! -f "$TOP/Makefile" ] || [ "$TOP/configure" -nt "$TOP/config.status" ]; then
        echo "== configure $*"
        (cd "$TOP" && ./configure -q "$@") || return 1
    fi
    echo "== make"
    make -C "$TOP" -s -j"$(nproc)" all >/dev/null || make -C "$TOP" all
}

build_dir() {
    local dir=$1
    shift
    build_bootstrap || return 1
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ] || [ "$TOP/configure" -nt "$dir/config.status" ]; then
        echo "== configure ($dir) $*"
        (cd "$dir" && "$TOP/configure" -q "$@") || return 1
    fi
    echo "== make ($dir)"
    make -C "$dir" -s -j"$(nproc)" all >/dev/null || make -C "$dir" all
}
