# shellcheck shell=bash
# Compare a cbuild build with what Docker's BuildKit made from the same
# Dockerfile and context: the recorded cases of tests/data/buildkit-build/
# (see its README.md for the case format and NOTES.md for what BuildKit does).
#
# Sourced by a numbered test (after lib.sh) and by tools/buildkit-ref.sh,
# which made the data with the same listing code.  Defines functions only.
#
#   buildkit_ref_compare CASE_DIR
#       Needs $CBUILD (the binary) and $ROOT (a store root; made if missing).
#       Imports the busybox base on first use, builds CASE_DIR with cbuild and
#       compares with the recorded data.  Returns 0 when they match, 1 with a
#       diff on stderr when they do not, 77 when the case cannot be compared
#       (its `skip` file says why: BuildKit 0.8 behaviour that newer BuildKit
#       changed).  Work files go to $BKREF_WORK (default: a temp dir).
#
# Helpers the generator shares: bkref_prepare_context, bkref_read_args,
# bkref_py (the listing / merging / config-normalising code).
#
# A numbered test would be, for example:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/build-ref-lib.sh"
#   command -v python3 >/dev/null || skip "python3 is not installed"
#   ROOT=$T/store BKREF_WORK=$T/bkref
#   mkdir -p "$BKREF_WORK"
#   bad=0
#   for c in "$CB_SOURCE_DIR"/tests/data/buildkit-build/[0-9]*/; do
#   	buildkit_ref_compare "$c" || [ $? = 77 ] || bad=1
#   done
#   [ "$bad" = 0 ] || fail "cbuild differs from BuildKit (diffs above)"
#
# cbuild build must take: build [--root R] -t TAG -f DOCKERFILE
# [--build-arg K=V]... [--target STAGE] CONTEXT.  RUN steps need what the
# runtime tests need (root or user namespaces).

# The fixed times of the data: every context entry gets BKREF_CONTEXT_MTIME
# before a build (git keeps no mtimes); the busybox base is 2000-01-01.
BKREF_CONTEXT_MTIME=1577836800 # 2020-01-01T00:00:00Z
BKREF_TAG=cbref-test
BKREF_BASE_TAG=cbref-base
BKREF_BUSYBOX=busybox:cbref

_bkref_fail() {
	echo "buildkit-ref: $*" >&2
	return 1
}

# bkref_prepare_context CASE_DIR DEST: copy CASE_DIR/context to DEST (empty when
# the case has none) and make its metadata what the data was made with: dirs
# 0755, files 0644 or 0755 (owner-executable in git), owner 0:0 when running
# as root, then the `context.prep` lines of the case (`chmod MODE PATH`,
# `mkdir PATH`: what git cannot hold), then every mtime BKREF_CONTEXT_MTIME.
bkref_prepare_context() {
	local c=$1 d=$2 op a b
	rm -rf "$d"
	mkdir -p "$d"
	if [ -d "$c/context" ]; then
		cp -a "$c/context/." "$d/"
	fi
	find "$d" -type d -exec chmod 0755 {} +
	find "$d" -type f -perm -u+x -exec chmod 0755 {} +
	find "$d" -type f ! -perm -u+x -exec chmod 0644 {} +
	if [ "$(id -u)" = 0 ]; then
		chown -hR 0:0 "$d"
	fi
	if [ -f "$c/context.prep" ]; then
		while read -r op a b; do
			case $op in
			'' | '#'*) ;;
			chmod) chmod "$a" "$d/$b" ;;
			mkdir) mkdir -p "$d/$a" ;;
			*) _bkref_fail "$c/context.prep: unknown line '$op $a $b'" || return 1 ;;
			esac
		done <"$c/context.prep"
	fi
	find "$d" -exec touch -h -d "@$BKREF_CONTEXT_MTIME" {} +
}

# bkref_read_args FILE: the case's build flags into the array BKREF_ARGS.  One
# flag a line, `--build-arg K=V` or `--target X`: the flag, one space, then the
# value (the rest of the line, spaces included).
bkref_read_args() {
	local line
	BKREF_ARGS=()
	[ -f "$1" ] || return 0
	while IFS= read -r line; do
		case $line in
		'' | '#'*) continue ;;
		esac
		BKREF_ARGS+=("${line%% *}" "${line#* }")
	done <"$1"
}

# bkref_py CMD ARGS...: the shared Python helpers.
#   layers BASE_DIFFID THRESHOLD LAYER...      files.txt text
#   rootfs BASE_DIFFID THRESHOLD LAYER...      rootfs.txt text
#   show BASE_DIFFID THRESHOLD SHOWFILE LAYER...   shown.txt text: the content
#                                              of each path SHOWFILE names, in
#                                              the merged rootfs
#   listing-cmp WANT GOT OUT_WANT OUT_GOT      files.txt or rootfs.txt pair as
#                                              compared (see cmd_listing_cmp)
#   config CONFIG.json BASE_CONFIG.json        normalised config for comparison
#   oci-image LAYOUT_DIR                       the config path, then each layer path
#   diffid LAYER                               sha256:hex of the uncompressed layer
# A LAYER may be a plain, gzip or zstd tar.  Entry lines are
#   PATH TYPE+MODE UID GID SIZE MTIME LINK SHA256
# (TYPE - d l h c b p; MODE 4 octal digits; MTIME whole seconds, or BUILD when
# at or after THRESHOLD: made during the build; LINK and SHA256 `-` when not
# applicable; bytes outside printable ASCII, space and backslash as \ooo).
bkref_py() {
	python3 - "$@" <<'PYEOF'
import gzip, hashlib, io, json, os, subprocess, sys, tarfile

def raw(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    return data

def esc(s):
    out = []
    for b in s.encode("utf-8", "surrogateescape"):
        if b <= 32 or b >= 127 or b == 92:
            out.append("\\%03o" % b)
        else:
            out.append(chr(b))
    return "".join(out)

def norm(name):
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    return name or "."

TYPES = {tarfile.REGTYPE: "-", tarfile.AREGTYPE: "-", tarfile.DIRTYPE: "d",
         tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h", tarfile.CHRTYPE: "c",
         tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p", tarfile.CONTTYPE: "-"}

def entries(data, threshold):
    """(path, line) for each entry of the tar bytes, in tar order."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as t:
        for m in t:
            p = norm(m.name)
            typ = TYPES.get(m.type, "?")
            mt = int(m.mtime)
            mt = "BUILD" if mt >= threshold else str(mt)
            link = "-"
            if m.issym() or m.islnk():
                link = esc(norm(m.linkname) if m.islnk() else m.linkname)
            digest = "-"
            size = 0
            body = None
            if m.isreg():
                body = t.extractfile(m).read()
                digest = hashlib.sha256(body).hexdigest()
                size = m.size
            if m.ischr() or m.isblk():
                link = "%d,%d" % (m.devmajor, m.devminor)
            line = "%s %s%04o %d %d %d %s %s %s" % (esc(p), typ, m.mode & 0o7777,
                                                   m.uid, m.gid, size, mt, link, digest)
            xattrs = sorted((k[len("SCHILY.xattr."):], v) for k, v in m.pax_headers.items()
                            if k.startswith("SCHILY.xattr."))
            if xattrs:
                line += " xattrs=" + ",".join(esc(k) + "=" + esc(v) for k, v in xattrs)
            out.append((p, line, body))
    return out

def diffid(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()

def cmd_layers(threshold, layers):
    for i, path in enumerate(layers):
        data = raw(path)
        if diffid(data) == BASE:
            print("LAYER %d base busybox:cbref" % i)
            continue
        print("LAYER %d" % i)
        for _, line, _ in entries(data, threshold):
            print(line)

def merge(threshold, layers):
    """The merged tree {path: (line, content)} and the base's {path: line}."""
    tree = {}
    base_lines = None
    for path in layers:
        data = raw(path)
        ents = entries(data, threshold)
        if diffid(data) == BASE and base_lines is None and not tree:
            base_lines = {p: line for p, line, _ in ents}
        for p, _, _ in ents:
            d, _, n = p.rpartition("/")
            pre = d + "/" if d else ""
            if n == ".wh..wh..opq":
                for k in [k for k in tree if k.startswith(pre) and k != d]:
                    del tree[k]
            elif n.startswith(".wh."):
                gone = pre + n[4:]
                for k in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                    del tree[k]
        for p, line, body in ents:
            if not p.rpartition("/")[2].startswith(".wh."):
                tree[p] = (line, body)
    return tree, base_lines

def cmd_rootfs(threshold, layers):
    tree, base_lines = merge(threshold, layers)
    if base_lines is not None:
        print("# FROM busybox:cbref; its entries that the build left as they were are not listed")
    for p in sorted(tree):
        if base_lines is None or base_lines.get(p) != tree[p][0]:
            print(tree[p][0])
    for p in sorted(base_lines or {}):
        if p not in tree:
            print("DELETED " + esc(p))

def cmd_show(threshold, showfile, layers):
    tree, _ = merge(threshold, layers)
    for want in open(showfile).read().split("\n"):
        if not want.strip() or want.startswith("#"):
            continue
        print("== " + want)
        ent = tree.get(norm(want))
        if ent is None:
            print("(absent)")
        elif ent[1] is None:
            print("(not a regular file: %s)" % ent[0])
        elif not ent[1]:
            print("(empty)")
        else:
            text = ent[1].decode("utf-8", "backslashreplace")
            sys.stdout.write(text)
            if not text.endswith("\n"):
                print("\n(no newline at the end)")

def listing_blocks(path):
    """[(header, {path: fields})] of a files.txt or rootfs.txt."""
    blocks = [("", {})]
    for line in open(path).read().splitlines():
        if line.startswith("LAYER ") or line.startswith("#"):
            blocks.append((line, {}))
            continue
        f = line.split(" ")
        if f[0] == "DELETED":
            f = [f[1], "DELETED"]
        blocks[-1][1][f[0]] = f
    return blocks

def cmd_listing_cmp(want, got, out_want, out_got):
    """Both listings as compared: entries sorted by path inside each block;
    whiteouts by path only (their mode, owner and time carry no meaning); a
    directory that BuildKit gave a build-time mtime (BUILD) may have any
    mtime (BuildKit's own value there depends on when its context cache or a
    cached step first made the directory)."""
    wb, gb = listing_blocks(want), listing_blocks(got)
    for blocks in (wb, gb):
        for _, ents in blocks:
            for k, f in ents.items():
                if k.rpartition("/")[2].startswith(".wh.") and len(f) > 2:
                    ents[k] = [k, "whiteout"]
    for i, (_, ents) in enumerate(wb):
        other = gb[i][1] if i < len(gb) else {}
        for k, f in ents.items():
            g = other.get(k)
            if len(f) >= 6 and f[1].startswith("d") and f[5] == "BUILD":
                f[5] = "(any)"
                if g is not None and len(g) >= 6 and g[1].startswith("d"):
                    g[5] = "(any)"
    for blocks, out in ((wb, out_want), (gb, out_got)):
        with open(out, "w") as o:
            for head, ents in blocks:
                if head:
                    o.write(head + "\n")
                for k in sorted(ents):
                    o.write(" ".join(ents[k]) + "\n")

EMPTY = (None, "", False, [], {})

def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if clean(x) not in EMPTY}
    return v

def first_diffid(c):
    d = (c.get("rootfs") or {}).get("diff_ids") or []
    return d[0] if d else None

def cmd_config(path, base_path):
    """The compared part of an image config: null, "", false, [] and {} are
    the same as absent; the busybox base's history entries are left out."""
    c = json.load(open(path))
    b = json.load(open(base_path))
    hist = c.get("history") or []
    diff_ids = (c.get("rootfs") or {}).get("diff_ids") or []
    skip = 0
    if diff_ids and diff_ids[0] == first_diffid(b):
        skip = len(b.get("history") or [])
    out = clean({
        "author": c.get("author"),
        "architecture": c.get("architecture"),
        "os": c.get("os"),
        "variant": c.get("variant"),
        "config": clean(c.get("config") or {}),
        "rootfs.type": (c.get("rootfs") or {}).get("type"),
        "rootfs.diff_ids (count)": len(diff_ids),
        "first layer is busybox:cbref": skip > 0,
    })
    out["history (after busybox:cbref's)"] = [
        clean({"created_by": h.get("created_by"), "empty_layer": h.get("empty_layer"),
               "comment": h.get("comment")}) for h in hist[skip:]]
    print(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False))

def blob(layout, desc):
    algo, hexd = desc["digest"].split(":", 1)
    return os.path.join(layout, "blobs", algo, hexd)

def cmd_oci_image(layout):
    idx = json.load(open(os.path.join(layout, "index.json")))
    man = json.load(open(blob(layout, idx["manifests"][0])))
    if "manifests" in man:  # an image index inside the index
        man = json.load(open(blob(layout, man["manifests"][0])))
    print(blob(layout, man["config"]))
    for l in man.get("layers") or []:
        print(blob(layout, l))

cmd = sys.argv[1]
a = sys.argv[2:]
if cmd in ("layers", "rootfs", "show"):
    BASE = a[0]
if cmd == "layers":
    cmd_layers(int(a[1]), a[2:])
elif cmd == "rootfs":
    cmd_rootfs(int(a[1]), a[2:])
elif cmd == "show":
    cmd_show(int(a[1]), a[2], a[3:])
elif cmd == "listing-cmp":
    cmd_listing_cmp(*a[:4])
elif cmd == "config":
    cmd_config(a[0], a[1])
elif cmd == "oci-image":
    cmd_oci_image(a[0])
elif cmd == "diffid":
    print(diffid(raw(a[0])))
else:
    sys.exit("bkref_py: unknown command " + cmd)
PYEOF
}

# _bkref_cb SUBCOMMAND ARGS...: cbuild with the store root.  The existing
# commands take --root after the subcommand (`cbuild import --root R ...`);
# BKREF_ROOT_FIRST=1 puts it before (`cbuild --root R build ...`).
_bkref_cb() {
	local sub=$1
	shift
	if [ "${BKREF_ROOT_FIRST:-0}" = 1 ]; then
		"$CBUILD" --root "$ROOT" "$sub" "$@"
	else
		"$CBUILD" "$sub" --root "$ROOT" "$@"
	fi
}

_bkref_first_diffid() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rootfs"]["diff_ids"][0])' "$1"
}

# _bkref_base: import the busybox base into $ROOT once; sets BKREF_CB_BASE_CONFIG
# (its config file) and BKREF_CB_BASE_DIFFID.
_bkref_base() {
	local w=$BKREF_WORK/base
	if [ -z "${BKREF_CB_BASE_DIFFID:-}" ]; then
		mkdir -p "$w"
		"$BKREF_SRC/tools/make-busybox-rootfs.sh" "$w/busybox.tar" ||
			_bkref_fail "make-busybox-rootfs.sh failed" || return 1
		_bkref_cb import "$w/busybox.tar" "$BKREF_BUSYBOX" >"$w/import.out" 2>&1 ||
			_bkref_fail "cbuild import: $(cat "$w/import.out")" || return 1
		_bkref_cb inspect --format config "$BKREF_BUSYBOX" >"$w/config.json" ||
			_bkref_fail "cbuild inspect --format config $BKREF_BUSYBOX failed" || return 1
		BKREF_CB_BASE_CONFIG=$w/config.json
		BKREF_CB_BASE_DIFFID=$(_bkref_first_diffid "$w/config.json")
		# Every mtime from now on was made by a build (or the cache of one).
		BKREF_EPOCH=$(date +%s)
	fi
}

# _bkref_cb_build CASE_DIR DOCKERFILE TAG ARGSFILE OUT: build with cbuild, then
# write OUT.config.json, OUT.files.txt, OUT.rootfs.txt (and OUT.shown.txt when
# the case has a `show` file); when the build fails, OUT.rc (its exit code) and
# OUT.log (its output).
_bkref_cb_build() {
	local c=$1 df=$2 tag=$3 argsf=$4 out=$5 rc=0
	local -a layers
	bkref_read_args "$argsf"
	_bkref_cb build -t "$tag" -f "$c/$df" ${BKREF_ARGS[@]+"${BKREF_ARGS[@]}"} \
		"$BKREF_WORK/context" >"$out.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		echo "$rc" >"$out.rc"
		return 0
	fi
	rm -rf "$out.oci" "$out.oci.tar"
	_bkref_cb save -o "$out.oci.tar" --format oci "$tag" ||
		_bkref_fail "cbuild save $tag failed" || return 1
	mkdir -p "$out.oci"
	tar -C "$out.oci" -xf "$out.oci.tar"
	mapfile -t layers < <(bkref_py oci-image "$out.oci")
	[ "${#layers[@]}" -ge 1 ] || _bkref_fail "no config in the OCI layout of $tag" || return 1
	cp "${layers[0]}" "$out.config.json"
	bkref_py layers "$BKREF_CB_BASE_DIFFID" "$BKREF_EPOCH" "${layers[@]:1}" >"$out.files.txt"
	bkref_py rootfs "$BKREF_CB_BASE_DIFFID" "$BKREF_EPOCH" "${layers[@]:1}" >"$out.rootfs.txt"
	if [ "$df" = Dockerfile ] && [ -f "$c/show" ]; then
		bkref_py show "$BKREF_CB_BASE_DIFFID" "$BKREF_EPOCH" "$c/show" "${layers[@]:1}" \
			>"$out.shown.txt"
	fi
}

# _bkref_diff WHAT WANT GOT: print a unified diff (BuildKit's `-`, cbuild's `+`).
_bkref_diff() {
	if ! diff -u --label "buildkit $1" --label "cbuild $1" "$2" "$3" >"$3.diff"; then
		cat "$3.diff" >&2
		return 1
	fi
}

# _bkref_compare_image CASE_DIR PREFIX OUT: recorded PREFIX{config.json,files.txt,
# rootfs.txt,shown.txt} against cbuild's OUT.*.  Not compared: timestamps
# (`created`), digests and diff_ids, the order of entries inside a layer, the
# metadata of whiteout entries, the mtime of directories BuildKit made during
# the build, and the busybox base's own history entries (docker import and
# cbuild import describe it differently).  Other mtimes are compared, with any
# time at or after the first build in ROOT written BUILD.
_bkref_compare_image() {
	local c=$1 p=$2 out=$3 bad=0
	local rec_base_cfg=$c/../busybox-base.config.json
	bkref_py config "$c/${p}config.json" "$rec_base_cfg" >"$out.want-config"
	bkref_py config "$out.config.json" "$BKREF_CB_BASE_CONFIG" >"$out.got-config"
	_bkref_diff "${p}config.json (normalised)" "$out.want-config" "$out.got-config" || bad=1
	bkref_py listing-cmp "$c/${p}files.txt" "$out.files.txt" "$out.want-files" "$out.got-files"
	_bkref_diff "${p}files.txt (as compared)" "$out.want-files" "$out.got-files" || bad=1
	bkref_py listing-cmp "$c/${p}rootfs.txt" "$out.rootfs.txt" "$out.want-rootfs" \
		"$out.got-rootfs"
	_bkref_diff "${p}rootfs.txt (as compared)" "$out.want-rootfs" "$out.got-rootfs" || bad=1
	if [ -f "$c/${p}shown.txt" ]; then
		_bkref_diff "${p}shown.txt" "$c/${p}shown.txt" "$out.shown.txt" || bad=1
	fi
	return $bad
}

buildkit_ref_compare() {
	local c=$1 name rc want_rc
	: "${CBUILD:?CBUILD must point at the cbuild binary}"
	: "${ROOT:?ROOT must name a cbuild store root}"
	c=$(cd "$c" && pwd)
	name=$(basename "$c")
	BKREF_SRC=${BKREF_SRC:-${CB_SOURCE_DIR:-$(cd "$c/../../../.." && pwd)}}
	if [ -z "${BKREF_WORK:-}" ]; then
		BKREF_WORK=$(mktemp -d /tmp/bkref-XXXXXX)
	fi
	if [ -f "$c/skip" ]; then
		echo "SKIP $name: $(head -n1 "$c/skip")" >&2
		return 77
	fi
	_bkref_base || return 1
	bkref_prepare_context "$c" "$BKREF_WORK/context" || return 1
	rm -rf "$BKREF_WORK/$name".*
	if [ -f "$c/Dockerfile.base" ]; then
		_bkref_cb_build "$c" Dockerfile.base "$BKREF_BASE_TAG" /dev/null "$BKREF_WORK/$name.base" ||
			return 1
		if [ -f "$BKREF_WORK/$name.base.rc" ]; then
			echo "FAIL $name: cbuild build of Dockerfile.base exited" \
				"$(cat "$BKREF_WORK/$name.base.rc"):" >&2
			cat "$BKREF_WORK/$name.base.log" >&2
			return 1
		fi
	fi
	_bkref_cb_build "$c" Dockerfile "$BKREF_TAG" "$c/args" "$BKREF_WORK/$name" || return 1
	if [ -f "$c/error.txt" ]; then
		want_rc=$(sed -n '1s/^exit //p' "$c/error.txt")
		if [ ! -f "$BKREF_WORK/$name.rc" ]; then
			echo "FAIL $name: cbuild built it; BuildKit failed (exit $want_rc):" >&2
			sed 1d "$c/error.txt" >&2
			return 1
		fi
		rc=$(cat "$BKREF_WORK/$name.rc")
		echo "ok $name: both failed (BuildKit exit $want_rc, cbuild exit $rc)" >&2
		return 0
	fi
	if [ -f "$BKREF_WORK/$name.rc" ]; then
		echo "FAIL $name: cbuild build exited $(cat "$BKREF_WORK/$name.rc"):" >&2
		cat "$BKREF_WORK/$name.log" >&2
		return 1
	fi
	rc=0
	if [ -f "$c/Dockerfile.base" ]; then
		_bkref_compare_image "$c" base. "$BKREF_WORK/$name.base" || rc=1
	fi
	_bkref_compare_image "$c" "" "$BKREF_WORK/$name" || rc=1
	if [ "$rc" = 0 ]; then
		echo "ok $name" >&2
	else
		echo "FAIL $name: cbuild's image differs from BuildKit's (diff above)" >&2
	fi
	return $rc
}
