#!/usr/bin/env bash
# Regenerates every committed benchmark result under spec/results/ from the shared data.
# Usage (from the repository root): bash spec/results/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
data=../shared/data
[ -d "$data" ] || { echo "regenerate: $data is missing (the shared data lives beside the repository)" >&2; exit 1; }
dotnet build -c Release src/Tools >/dev/null
vqc() { dotnet src/Tools/bin/Release/net10.0/vqc.dll "$@"; }
vqc bench image "$data/images/valid" --out spec/results/image
vqc bench speech "$data/speech/valid" --out spec/results/speech
vqc bench quantizers --images "$data/images/valid" --out spec/results/quantizers
dotnet build -c Release tests/VqCodec.Benchmarks >/dev/null
dotnet tests/VqCodec.Benchmarks/bin/Release/net10.0/VqCodec.Benchmarks.dll --filter '*' --job short --inProcess \
  --artifacts /tmp/vqc-bdn
cp /tmp/vqc-bdn/results/*-report-github.md spec/results/benchmarkdotnet/
