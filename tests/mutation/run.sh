#!/usr/bin/env bash
# synscope's mutation check: make mutate, or tests/mutation/run.sh [options].
# Each mutation in tests/mutation/mutations.txt is applied in a scratch copy
# of this checkout, the tests that cover it are built and run there, and it
# is reported killed, survived, equivalent, build-failed or stale
# (docs/testing.md). Options: -j N (mutants at once, default 2),
# --only REGEX (rule ids), --check (rules still apply? no build),
# --unit-only (no integration script), -v (which test killed each).
# Needs python3 (scripts/install-deps.sh installs it), make and a C compiler;
# integration scripts named by a rule run only as root.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/mutate.py" "$@"
