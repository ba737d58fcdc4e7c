#!/bin/bash
# Analyse a large folder of photos on a Slurm cluster: one array task per part, then one job that merges.
#
#   bash docs/slurm.sh /data/photos /data/scarscope-run    # on the login node: submits the array, then the merge
#
# Each task analyses part K of N of the sorted photo list (`--shard K/N`) into its own JSON-lines file, with
# `--resume`: a task that is pre-empted or requeued keeps the lines it finished and continues from there.
# `scarscope merge` joins the parts, in K order, into exactly the bytes one run over the whole folder gives.
#SBATCH --job-name=scarscope
#SBATCH --array=1-16
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --requeue
set -euo pipefail

photos=${1:?usage: bash docs/slurm.sh PHOTOS_DIR OUT_DIR}
out=${2:?usage: bash docs/slurm.sh PHOTOS_DIR OUT_DIR}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  # Not inside the array: submit it (this script, with the #SBATCH lines above), then the merge, which starts
  # when every task has ended well. Exit code 1 of merge only means some photos failed.
  array=$(sbatch --parsable "$0" "$photos" "$out")
  sbatch --dependency="afterok:${array%%;*}" --job-name=scarscope-merge --wrap \
    "scarscope merge $out/parts/part-*.jsonl -o $out/report.jsonl || [ \$? -eq 1 ]"
  exit 0
fi

k=$SLURM_ARRAY_TASK_ID
n=$SLURM_ARRAY_TASK_COUNT
mkdir -p "$out/parts"
# Zero-padded part numbers, so that the shell lists the parts in K order for the merge.
part=$(printf '%s/parts/part-%05d.jsonl' "$out" "$k")

# Exit code 1 only means some photos failed (each is a line with its error); keep the task successful then.
scarscope analyze "$photos" --shard "$k/$n" --format jsonl --resume -o "$part" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" --quiet || [[ $? -eq 1 ]]
