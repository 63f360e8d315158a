#!/bin/bash
# Snapshot / resume across processes and across implementations (VAE script).
cd "$(dirname "$0")"; mkdir -p logs work; cd work
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 SHINSOU_NUM_THREADS=1
WT=/work/wt-chainer-blind
C() { /work/chainer-env/bin/python ../vae_trainer_resume.py "$@"; }
S() { SHINSOU_DATA=/work/shared/datasets PYTHONPATH=$WT/src /work/main/.venv/bin/python -m shinsou.chainer ../vae_trainer_resume.py "$@"; }
rm -rf vae_c3 vae_s3 vae_x_cs vae_x_sc
{
echo "== chainer: 3 epochs, then resume to 4 from snapshot_iter_450"
C --epoch 3 --out vae_c3 | grep RESULT
cp -r vae_c3 vae_x_cs
C --epoch 4 --out vae_c3 --resume vae_c3/snapshot_iter_450 | grep -E "RESULT|resumed|Error"
echo "== shinsou: 3 epochs, then resume to 4 from snapshot_iter_450"
S --epoch 3 --out vae_s3 | grep RESULT
cp -r vae_s3 vae_x_sc
S --epoch 4 --out vae_s3 --resume vae_s3/snapshot_iter_450 2>&1 | grep -E "RESULT|resumed|Error"
echo "== cross: shinsou resumes real Chainer's snapshot"
S --epoch 4 --out vae_x_cs --resume vae_x_cs/snapshot_iter_450 2>&1 | grep -E "RESULT|resumed|Error"
echo "== cross: real Chainer resumes shinsou's snapshot"
C --epoch 4 --out vae_x_sc --resume vae_x_sc/snapshot_iter_450 2>&1 | grep -E "RESULT|resumed|Error"
} > ../logs/vae_resume_runs.log 2>&1
