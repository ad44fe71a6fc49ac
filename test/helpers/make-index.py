import base64, hashlib, os, sys, zipfile
root = sys.argv[1]
dists = [("envkit-demo-a", "1.0", []), ("envkit-demo-a", "2.0", []), ("envkit-demo-b", "0.5", ["envkit-demo-a>=1.0"]), ("envkit-demo-c", "1.0", ["envkit-demo-a==1.0"]), ("envkit-demo-bad", "1.0", [])]
os.makedirs(os.path.join(root, "files"))
links = {}
b64 = lambda data: base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
for name, version, requires in dists:
    mod = name.replace("-", "_")
    info = "%s-%s.dist-info" % (mod, version)
    entries = [
        ("%s/__init__.py" % mod, 'raise RuntimeError("operator demo::nms does not exist")\n' if name.endswith("-bad") else '__version__ = "%s"\n' % version),
        (info + "/METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s" % (name, version, "".join("Requires-Dist: %s\n" % r for r in requires))),
        (info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: envkit-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = "".join("%s,sha256=%s,%d\n" % (p, b64(t.encode()), len(t.encode())) for p, t in entries) + info + "/RECORD,,\n"
    whl = "%s-%s-py3-none-any.whl" % (mod, version)
    with zipfile.ZipFile(os.path.join(root, "files", whl), "w") as z:
        for p, t in entries + [(info + "/RECORD", record)]:
            z.writestr(p, t)
    sha = hashlib.sha256(open(os.path.join(root, "files", whl), "rb").read()).hexdigest()
    links.setdefault(name, []).append('<a href="../../files/%s#sha256=%s">%s</a><br>' % (whl, sha, whl))
page = "<!DOCTYPE html><html><body>%s</body></html>\n"
os.makedirs(os.path.join(root, "simple"))
open(os.path.join(root, "simple", "index.html"), "w").write(page % "".join('<a href="%s/">%s</a><br>' % (n, n) for n in links))
for name, ls in links.items():
    os.makedirs(os.path.join(root, "simple", name))
    open(os.path.join(root, "simple", name, "index.html"), "w").write(page % "".join(ls))
