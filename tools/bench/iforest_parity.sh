#!/usr/bin/env bash
# Parity benchmark of the Isolation Forest against scikit-learn (docs/benchmarks.md).
# Builds nothing: runs tools/bench/iforest_parity.py with BUILD_DIR/bench_iforest.
# Usage: tools/bench/iforest_parity.sh [BUILD_DIR] [--features FILE] [--seeds N]
# Needs Debian's python3-sklearn (apt-get install -y python3-sklearn), benchmark only.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build
if [[ $# -gt 0 && $1 != --* ]]; then
  build=$1
  shift
fi
bench="$build/bench_iforest"
if [[ ! -x $bench ]]; then
  echo "iforest_parity.sh: $bench not found; build first: cmake --build $build --target bench_iforest" >&2
  exit 2
fi
if ! /usr/bin/python3 -c 'import sklearn, numpy' 2>/dev/null; then
  echo "iforest_parity.sh: needs python3-sklearn: sudo apt-get install -y python3-sklearn" >&2
  exit 2
fi
exec /usr/bin/python3 tools/bench/iforest_parity.py --bench "$bench" "$@"
