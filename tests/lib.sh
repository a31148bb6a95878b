# lib.sh - shared by the tests/*.test scripts (sourced).
# Automake runs them with VI_BIN (the built tool) and VI_SRCDIR (source tree).
set -u
: "${VI_BIN:?VI_BIN must name the built vmstate-inspect}"
: "${VI_SRCDIR:=.}"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "python3 is needed for this test"; exit 77; }
# The shared corpus lives beside the repository (../shared/corpus); tests
# that need it skip (exit 77) when it is not there.
VI_CORPUS=${VI_CORPUS:-$VI_SRCDIR/../shared/corpus}
export VI_BIN VI_SRCDIR VI_CORPUS
