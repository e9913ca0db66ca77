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
# Every third validation photograph, with and without the deblocking filter (design.md, "Deblocking filter").
subset=$(mktemp -d); ls "$data"/images/valid/*.png | sort | awk 'NR%3==1' | while read -r f; do ln -s "$(realpath "$f")" "$subset/"; done
vqc bench image "$subset" --codecs vqc,webp --levels 2 --out spec/results/image-deblock
vqc bench tokens "$data/speech/valid" "$data/speech/valid_more" --levels 1 2 4 6 11 16 --out spec/results/tokens
vqc generate speech -o /tmp/vqc-babble.wav --seconds 4 --seed 1 --force
sox /tmp/vqc-babble.wav -n spectrogram -x 800 -y 257 -z 80 -t "vqc generate speech --seconds 4 --seed 1 (6 levels)" \
  -o spec/results/tokens/generated-babble-seed1.png
vqc bench tokens --kind image "$data/images/valid" --out spec/results/tokens-image
vqc generate image -o spec/results/tokens-image/generated-texture-seed1.png --width 512 --height 384 --levels 4 --seed 1 --force
vqc bench speech "$data/speech/valid" --codecs vqc,vqc-halfframe,vqc-noenvelope,opus,codec2 --levels 1 2 4 6 --kbps 3.2 6 --out spec/results/speech
vqc bench speech "$data/speech/valid_more" --codecs vqc,vqc-halfframe,vqc-noenvelope,opus,codec2 --levels 1 2 4 6 --kbps 3.2 6 --out spec/results/speech-valid-more
vqc bench speech "$data/speech/valid" --codecs vqc --levels 99 --kbps 3.2 --out spec/results/speech-targets
vqc bench speech "$data/speech/valid_more" --codecs vqc --levels 99 --kbps 3.2 --out spec/results/speech-valid-more-targets
# Synthetic voices from espeak-ng (generated here, never committed), resampled to 16 kHz by ffmpeg.
rm -rf /tmp/vqc-espeak && mkdir -p /tmp/vqc-espeak
text="The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore, and the shells she sells are surely seashells."
for v in en+m3:40 en+f3:60 en-us+m1:30 en+f4:80; do
  espeak-ng -v "${v%%:*}" -p "${v##*:}" -s 150 -w /tmp/vqc-espeak/raw.wav "$text"
  ffmpeg -v error -y -i /tmp/vqc-espeak/raw.wav -ar 16000 -ac 1 "/tmp/vqc-espeak/espeak-${v%%:*}.wav"
done
rm /tmp/vqc-espeak/raw.wav
vqc bench speech /tmp/vqc-espeak --codecs vqc,vqc-halfframe,vqc-noenvelope,opus,codec2 --levels 1 2 4 6 --kbps 3.2 6 --out spec/results/speech-synthetic
vqc bench speech /tmp/vqc-espeak --codecs vqc --levels 99 --kbps 3.2 --out spec/results/speech-synthetic-targets
vqc bench quantizers --images "$data/images/valid" --out spec/results/quantizers
dotnet build -c Release tests/VqCodec.Benchmarks >/dev/null
dotnet tests/VqCodec.Benchmarks/bin/Release/net10.0/VqCodec.Benchmarks.dll --filter '*' --job short --inProcess \
  --artifacts /tmp/vqc-bdn
cp /tmp/vqc-bdn/results/*-report-github.md spec/results/benchmarkdotnet/
