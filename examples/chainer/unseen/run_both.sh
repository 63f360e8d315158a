#!/bin/bash
# usage: run_both.sh SCRIPT.py [ARGS...]  -> logs/SCRIPT.{chainer,shinsou}.log
cd "$(dirname "$0")"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 SHINSOU_NUM_THREADS=1
s=$1; shift
n=$(basename "$s" .py)
mkdir -p logs work
WT=/work/wt-chainer-blind
if [ -z "$ONLY" ] || [ "$ONLY" = chainer ]; then
( cd work && /usr/bin/time -f "wall=%es maxrss=%MkB" /work/chainer-env/bin/python ../$s "$@" ) > logs/$n.chainer.log 2>&1
echo "chainer rc=$?"; grep -E "RESULT|Error|wall=" logs/$n.chainer.log | tail -4
fi
if [ -z "$ONLY" ] || [ "$ONLY" = shinsou ]; then
( cd work && SHINSOU_DATA=/work/shared/datasets PYTHONPATH=$WT/src /usr/bin/time -f "wall=%es maxrss=%MkB" /work/main/.venv/bin/python -m shinsou.chainer ../$s "$@" ) > logs/$n.shinsou.log 2>&1
echo "shinsou rc=$?"; grep -E "RESULT|Error|wall=" logs/$n.shinsou.log | tail -4
fi
