# Sourced by the scripts: puts the project's pinned tools first on PATH.
# Usage: source scripts/env.sh   (after scripts/setup has run)
_mlxts_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$_mlxts_root/.toolchain/zig-0.15.2/ziglang:$_mlxts_root/node_modules/.bin:$PATH"
unset _mlxts_root
