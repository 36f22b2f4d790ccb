# Sourced by the 02NN-store-*.sh tests after lib.sh.  Builds images in a
# store without cbuild's writers, straight from the documented layout
# (docs/STORE.md), so the store commands can be tested on their own.

# init_store ROOT: let cbuild create the layout.
init_store() {
	"$CBUILD" images --root "$1" >/dev/null
}

# seed_image ROOT NAME CREATED LAYER_TEXT...: write gzip layers holding one
# file each, an OCI config and manifest as blobs, and tag NAME (a normalised
# name).  Prints the manifest digest.  SEED_CONFIG (JSON) adds to the config.
seed_image() {
	python3 - "$@" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
root, name, created, texts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def put(data):
    d = hashlib.sha256(data).hexdigest()
    p = os.path.join(root, "blobs", "sha256", d)
    if not os.path.exists(p):
        with open(p + ".seed", "wb") as f:
            f.write(data)
        os.chmod(p + ".seed", 0o444)
        os.rename(p + ".seed", p)
    return "sha256:" + d, len(data)

layers, diff_ids = [], []
for i, t in enumerate(texts):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        data = t.encode()
        ti = tarfile.TarInfo("file%d.txt" % i)
        ti.size, ti.mtime = len(data), 0
        tf.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    gz = gzip.compress(tar, mtime=0)
    d, n = put(gz)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
config = {"architecture": "amd64", "os": "linux", "created": created,
          "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
          "rootfs": {"type": "layers", "diff_ids": diff_ids},
          "history": [{"created": created, "created_by": "seed"}]}
# SEED_CONFIG: JSON merged into the config (its "config" key into the run config)
extra = json.loads(os.environ.get("SEED_CONFIG", "{}"))
config["config"].update(extra.pop("config", {}))
config.update(extra)
cd, cn = put(json.dumps(config, separators=(",", ":")).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
            "layers": layers}
md, _ = put(json.dumps(manifest, separators=(",", ":")).encode())
tp = os.path.join(root, "tags.json")
tags = json.load(open(tp)) if os.path.exists(tp) else {"tags": {}}
tags["tags"][name] = md
with open(tp + ".seed", "w") as f:
    json.dump(tags, f)
os.rename(tp + ".seed", tp)
print(md)
EOF
}

# seed_blob ROOT TEXT: a loose blob nothing references.  Prints its digest.
seed_blob() {
	python3 - "$1" "$2" <<'EOF'
import hashlib, os, sys
data = sys.argv[2].encode()
d = hashlib.sha256(data).hexdigest()
p = os.path.join(sys.argv[1], "blobs", "sha256", d)
open(p, "wb").write(data)
os.chmod(p, 0o444)
print("sha256:" + d)
EOF
}

# json_get FILE PYTHON_EXPR: evaluate EXPR with `j` bound to FILE's JSON.
json_get() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# blob_count ROOT
blob_count() {
	find "$1/blobs/sha256" -type f | wc -l
}
