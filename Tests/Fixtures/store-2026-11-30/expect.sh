#!/usr/bin/env bash
# Prints what the legacy binary says about a store, one section per command.
set -u
bin=${BIN:-/tmp/fx/consentry-legacy}
run() { echo "## consentry $*"; "$bin" "$@" 2>&1; echo "## exit $?"; }
run decide --as-of 2026-12-01T00:00:00Z
run decide --as-of 2025-11-04
run stats --as-of 2025-11-02
run exclusions --as-of 2026-12-01T00:00:00Z
run objections list
run datasets list --json
run models list --json
run lineage --member urn:li:member:1003
run audit verify
run audit export
run policy show
