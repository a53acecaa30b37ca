#!/bin/sh
# Slim a freshly installed virtual environment for an image, then compile the bytecode of what
# the image's code imports (run by the `deps` stage of ./Dockerfile and serving/Dockerfile; needs
# binutils' `strip`).
#
#   build-slim-venv.sh VENV IMPORTS        IMPORTS: scripts/image-imports.txt
#
# Removes what nothing loads at run time:
#   - the test suites that packages ship: folders named test/ or tests/ holding test_*.py or
#     conftest.py (pandas, scipy, numpy, statsmodels, ...). Evidently's `tests` packages are its
#     run-time checks and hold neither, so they stay;
#   - C/C++ headers (include/ folders without Python modules: TensorFlow's alone is ~290 MB) and
#     C, C++ and Cython sources: only for compiling extensions; type stubs (*.pyi): only for type
#     checkers;
#   - parts of packages that nothing loads: pyarrow's Flight RPC (`pyarrow.flight`; importing it
#     then fails as on a pyarrow built without Flight), onnxruntime's C API library (the Python
#     module, onnxruntime_pybind11_state, is self-contained and never loads it), plotly's
#     JupyterLab extension (jupyterlab_plotly: JavaScript for JupyterLab);
#   - symbol tables and debug info of shared libraries over 1 MB (`strip --strip-unneeded` keeps
#     the dynamic symbols that loading and linking use), each checked to still load.
# Then imports every module of IMPORTS that is installed (a module whose package is absent is
# skipped, as is a missing package of a namespace such as google.cloud: the predictor has no TensorFlow; any other import error fails the build) and compiles
# the Python files this loaded (unchecked-hash .pyc: valid whatever the files' mtimes after COPY),
# so a container does not recompile them on every start (~8,300 of the project image's ~30,000
# modules; bytecode for all would add ~150 MB). Modules loaded only on rarer paths compile when
# first imported.
set -eu
python="$1/bin/python"
site="$(echo "$1"/lib/python3*/site-packages)"
[ -d "$site" ] && [ -f "$2" ] || { echo "usage: build-slim-venv.sh VENV IMPORTS" >&2; exit 2; }
before="$(du -sm "$site" | cut -f1)"

find "$site" -depth -type d \( -name test -o -name tests \) | while read -r dir; do
  if [ -d "$dir" ] && find "$dir" -maxdepth 2 \( -name 'test_*.py' -o -name conftest.py \) \
       | grep -q .; then
    rm -rf "$dir"
  fi
done
find "$site" -depth -type d -name include | while read -r dir; do
  if [ -d "$dir" ] && ! find "$dir" -name '*.py' | grep -q .; then rm -rf "$dir"; fi
done
find "$site" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' \
  -o -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.pyi' \) -delete
rm -rf "$site"/pyarrow/*flight* "$site"/onnxruntime/capi/libonnxruntime.so* \
  "$site"/jupyterlab_plotly

# strip rewrites the file's layout, which breaks some libraries that auditwheel patched (e.g.
# the OpenBLAS that numpy vendors: "ELF load command address/offset not page-aligned"): a
# stripped library is kept only if it still loads with every symbol resolved (ctypes: RTLD_NOW).
find "$site" -type f -name '*.so*' -size +1M | while read -r lib; do
  cp -p "$lib" "$lib.unstripped"
  if strip --strip-unneeded "$lib" 2>/dev/null \
     && "$python" -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$lib" 2>/dev/null; then
    rm "$lib.unstripped"
  else
    mv "$lib.unstripped" "$lib"
  fi
done

find "$site" -type d -name __pycache__ -prune -exec rm -rf {} +
loaded="$(mktemp)"
TF_CPP_MIN_LOG_LEVEL=3 "$python" -B - "$2" "$site" > "$loaded" <<'PY'
import importlib
import sys

imports, site = sys.argv[1], sys.argv[2]
for line in open(imports, encoding="utf-8"):
    name = line.split("#")[0].strip()
    if not name:
        continue
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as missing:
        # Absent here: the module's top-level package, or a package of a namespace that the
        # image holds other parts of (google.cloud beside google.auth); anything else is a
        # slimmed-away or broken module and fails the build.
        parts = name.split(".")
        namespace = getattr(sys.modules.get(parts[0]), "__file__", "") is None
        parents = {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        if missing.name != parts[0] and not (namespace and missing.name in parents):
            raise
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None) or ""
    if path.startswith(site) and path.endswith(".py"):
        print(path)
PY
"$python" -m compileall -q -f -i "$loaded" --invalidation-mode unchecked-hash > /dev/null
echo "build-slim-venv: $site ${before} MB -> $(du -sm "$site" | cut -f1) MB" \
  "($(wc -l < "$loaded") modules compiled)"
rm -f "$loaded"
