#!/usr/bin/env bash
# Writes the man pages (one per command, from the same help text `--help` prints) and the shell
# completion scripts of `modelseal` into dist/man/man1/ and dist/completions/.
#
#   bash scripts/gen-manual.sh
#   man -l dist/man/man1/modelseal.1          # or: MANPATH=$PWD/dist/man man modelseal-seal
#
# Man pages come from swift-argument-parser's generate-manual plugin (debug configuration: it
# reuses `swift build`'s binary); completions from the binary itself (--generate-completion-script).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH" SWIFT_BACKTRACE=enable=no
swift build --product modelseal
swift package --allow-writing-to-package-directory generate-manual --multi-page --configuration debug \
    --authors "ModelSeal" >/dev/null
mkdir -p dist/man/man1 dist/completions
cp .build/plugins/GenerateManual/outputs/ModelSealCLI/*.1 dist/man/man1/
binary="$(swift build --show-bin-path)/modelseal"
"$binary" --generate-completion-script bash > dist/completions/modelseal.bash
"$binary" --generate-completion-script zsh > dist/completions/_modelseal
"$binary" --generate-completion-script fish > dist/completions/modelseal.fish
echo "man pages: $(ls dist/man/man1 | wc -l) in dist/man/man1; completions: dist/completions/{modelseal.bash,_modelseal,modelseal.fish}"
